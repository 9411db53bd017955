"""A triage script written against Sentry's public API reference only: nothing in it knows
about Errata. It is run unchanged against a live Errata server by
tests/tracker/test_api_sentry_script.py.

    SENTRY_URL=https://sentry.io SENTRY_AUTH_TOKEN=... SENTRY_ORG=acme SENTRY_PROJECT=shop \
    SENTRY_TEAM_ID=12 RESOLVE_QUERY="TimeoutError" python sentry_triage.py

1. List the project's unresolved issues ("List a Project's Issues"), following the `Link`
   header's cursors.
2. Resolve those matching RESOLVE_QUERY ("Bulk Mutate a List of Issues", by `id`).
3. Assign the most frequent remaining issue to the team ("Update an Issue", `team:<id>`).
4. Fetch that issue's latest event ("Retrieve an Issue Event", `latest`) and print its
   stack trace, innermost frame last.

Prints one JSON object with what it did.
"""

import json
import os
import re
import sys
import urllib.parse
import urllib.request

BASE = os.environ["SENTRY_URL"].rstrip("/") + "/api/0/"
TOKEN = os.environ["SENTRY_AUTH_TOKEN"]
ORG = os.environ["SENTRY_ORG"]
PROJECT = os.environ["SENTRY_PROJECT"]


def call(method, path, params=(), body=None):
    url = path if path.startswith("http") else BASE + path
    if params:
        url += "?" + urllib.parse.urlencode(list(params))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return (json.loads(raw) if raw else None), response.headers.get("Link", "")


def next_page(link_header):
    for part in link_header.split(","):
        url = re.search(r"<([^>]+)>", part)
        if url and 'rel="next"' in part and 'results="true"' in part:
            return url.group(1)
    return None


def all_issues(query):
    issues, url = [], f"projects/{ORG}/{PROJECT}/issues/"
    params = [("query", query), ("limit", "2")]
    while url:
        page, link = call("GET", url, params)
        issues += page
        url, params = next_page(link), ()
    return issues


def main():
    unresolved = all_issues("is:unresolved")
    matching = all_issues("is:unresolved " + os.environ["RESOLVE_QUERY"])
    resolved = []
    if matching:
        result, _ = call("PUT", f"projects/{ORG}/{PROJECT}/issues/",
                         [("id", issue["id"]) for issue in matching], {"status": "resolved"})
        assert result["status"] == "resolved", result
        resolved = [issue["shortId"] for issue in matching]

    remaining = [i for i in unresolved if i["shortId"] not in resolved]
    top = max(remaining, key=lambda issue: int(issue["count"]))
    updated, _ = call("PUT", f"organizations/{ORG}/issues/{top['id']}/",
                      body={"assignedTo": f"team:{os.environ['SENTRY_TEAM_ID']}"})

    event, _ = call("GET", f"organizations/{ORG}/issues/{top['id']}/events/latest/")
    frames = []
    for entry in event["entries"]:
        if entry["type"] == "exception":
            for frame in entry["data"]["values"][-1]["stacktrace"]["frames"]:
                frames.append(f"{frame['filename']}:{frame['lineNo']} in {frame['function']}")
    json.dump({
        "unresolved": [i["shortId"] for i in unresolved], "resolved": resolved,
        "assigned": {"issue": top["shortId"], "to": updated["assignedTo"]},
        "latestEvent": event["eventID"], "stacktrace": frames,
    }, sys.stdout)


if __name__ == "__main__":
    main()
