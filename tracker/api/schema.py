"""The OpenAPI description of the API: response shapes, parameters and statuses, for
drf-spectacular's `extend_schema` on the function views.

The views build their JSON as plain dicts (tracker/api/serializers.py), so the shapes are
written here as JSON schema, next to nothing else; a schemathesis run against a live server
(tests/tracker/test_api_schema.py) holds the two together: every response must match.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
OBJECT: Schema = {"type": "object", "additionalProperties": True}
ANY: Schema = {"nullable": True}


def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    required = list(properties) if required is None else required
    return {"type": "object", "properties": properties, **({"required": required} if required
                                                           else {})}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


ERROR = obj({"detail": STRING})
# What a body that fails a serializer gets on the release routes, as Sentry's (and what
# sentry-cli prints): each field with its messages.
FIELD_ERRORS = {"oneOf": [ERROR, {"type": "object", "additionalProperties": {
    "oneOf": [array(ANY), OBJECT]}}]}
PROJECT_SUMMARY = obj({"id": STRING, "slug": STRING, "name": STRING,
                       "platform": nullable(STRING)})
USER = obj({"id": STRING, "name": STRING, "username": STRING, "email": STRING,
            "avatarUrl": nullable(STRING), "isActive": BOOLEAN})
ACTOR = nullable(obj({"type": {"type": "string", "enum": ["user", "team"]}, "id": STRING,
                      "name": STRING, "email": STRING}, ["type", "id", "name"]))
SERIES = array(array(INTEGER))
STATUS_DETAILS = obj({"inRelease": STRING, "inNextRelease": BOOLEAN,
                      "ignoreUntil": TIME, "ignoreCount": INTEGER,
                      "ignoreDuration": INTEGER}, [])
ISSUE = obj({
    "id": STRING, "shortId": STRING, "title": STRING, "culprit": STRING, "permalink": STRING,
    "logger": nullable(STRING), "level": STRING, "status": STRING,
    "substatus": nullable(STRING), "statusDetails": STATUS_DETAILS,
    "priority": nullable(STRING), "isPublic": BOOLEAN, "platform": nullable(STRING),
    "project": PROJECT_SUMMARY, "type": STRING, "issueType": STRING, "issueCategory": STRING,
    "metadata": OBJECT, "numComments": INTEGER, "assignedTo": ACTOR, "isBookmarked": BOOLEAN,
    "isSubscribed": BOOLEAN, "hasSeen": BOOLEAN, "isUnhandled": BOOLEAN,
    "annotations": array(ANY), "count": STRING, "userCount": INTEGER, "firstSeen": TIME,
    "lastSeen": TIME,
    "stats": {"type": "object", "additionalProperties": SERIES},
}, ["id", "shortId", "title", "status", "project", "count", "userCount", "firstSeen",
    "lastSeen"])
TAG_VALUE = obj({"key": STRING, "name": STRING, "value": STRING, "count": INTEGER,
                 "lastSeen": TIME, "firstSeen": TIME})
TAG = obj({"key": STRING, "name": STRING, "totalValues": INTEGER, "uniqueValues": INTEGER,
           "topValues": array(TAG_VALUE)})
ACTIVITY = obj({"id": STRING, "type": STRING, "data": OBJECT, "user": nullable(USER),
                "dateCreated": TIME})
RELEASE_SUMMARY = nullable(obj({"version": STRING, "shortVersion": STRING,
                                "dateCreated": TIME}))
ISSUE_DETAIL = {**ISSUE, "properties": {
    **ISSUE["properties"],
    "activity": array(ACTIVITY), "firstRelease": RELEASE_SUMMARY,
    "lastRelease": RELEASE_SUMMARY, "participants": array(USER),
    "pluginActions": array(ANY), "pluginContexts": array(ANY), "pluginIssues": array(ANY),
    "seenBy": array(USER), "shareId": nullable(STRING), "subscriptionDetails": ANY,
    "tags": array(TAG), "userReportCount": INTEGER,
}, "required": [*ISSUE["required"], "activity", "stats", "tags"]}
ISSUE_LIST = array(ISSUE)
EVENT_TAG = obj({"key": STRING, "value": STRING})
EVENT_SUMMARY = obj({
    "id": STRING, "eventID": STRING, "event.type": STRING, "groupID": STRING,
    "projectID": STRING, "title": STRING, "message": STRING, "location": ANY,
    "culprit": ANY, "platform": STRING, "dateCreated": TIME, "user": nullable(OBJECT),
    "tags": array(EVENT_TAG), "metadata": OBJECT, "crashFile": ANY,
}, ["id", "eventID", "groupID", "projectID", "dateCreated", "tags"])
ENTRY = obj({"type": STRING, "data": ANY})
EVENT = obj({
    "id": STRING, "eventID": STRING, "groupID": STRING, "projectID": STRING, "title": STRING,
    "message": STRING, "culprit": ANY, "location": ANY, "type": STRING, "platform": STRING,
    "dateCreated": TIME, "dateReceived": nullable(TIME), "size": nullable(INTEGER),
    "release": nullable(OBJECT), "dist": ANY, "environment": nullable(STRING),
    "tags": array(EVENT_TAG), "entries": array(ENTRY), "contexts": OBJECT, "context": ANY,
    "packages": ANY, "user": nullable(OBJECT), "sdk": nullable(OBJECT), "metadata": ANY,
    "fingerprints": array(ANY), "groupingConfig": ANY, "errors": ANY, "_meta": ANY,
    "crashFile": ANY, "userReport": ANY, "occurrence": ANY,
    "previousEventID": nullable(STRING), "nextEventID": nullable(STRING),
}, ["id", "eventID", "groupID", "projectID", "dateCreated", "tags", "entries", "contexts"])
EVENT_OR_SUMMARY = {"oneOf": [EVENT, EVENT_SUMMARY]}
HASH = obj({"id": STRING, "latestEvent": nullable(EVENT_SUMMARY), "mergedBySeer": BOOLEAN})
BULK_RESULT = obj({
    "status": STRING, "statusDetails": STATUS_DETAILS, "assignedTo": ACTOR,
    "hasSeen": BOOLEAN, "isBookmarked": BOOLEAN, "priority": STRING, "isPublic": BOOLEAN,
    "isSubscribed": BOOLEAN, "discard": BOOLEAN,
    "merge": obj({"parent": STRING, "children": array(STRING)}),
}, [])
ISSUE_UPDATE = obj({
    "status": {"type": "string", "enum": ["resolved", "resolvedInNextRelease", "unresolved",
                                          "ignored", "muted"]},
    "statusDetails": obj({
        "inRelease": STRING, "inNextRelease": BOOLEAN,
        "ignoreDuration": {"type": "integer", "minimum": 1, "maximum": 5256000},
        "ignoreUntil": TIME, "ignoreCount": {"type": "integer", "minimum": 1,
                                             "maximum": 10**9},
    }, []),
    "assignedTo": nullable(STRING), "hasSeen": BOOLEAN, "isBookmarked": BOOLEAN,
    "priority": {"type": "string", "enum": ["low", "medium", "high"]},
    "isPublic": BOOLEAN, "isSubscribed": BOOLEAN,
}, [])
BULK_UPDATE = {**ISSUE_UPDATE, "properties": {
    **ISSUE_UPDATE["properties"], "merge": BOOLEAN, "discard": BOOLEAN}}
COMMENT = obj({"text": STRING})
STATS_V2 = obj({
    "start": TIME, "end": TIME, "intervals": array(TIME),
    "groups": array(obj({"by": OBJECT, "totals": {"type": "object",
                                                  "additionalProperties": INTEGER},
                         "series": {"type": "object",
                                    "additionalProperties": array(INTEGER)}})),
})
PROJECT = obj({**PROJECT_SUMMARY["properties"], "dateCreated": TIME, "isActive": BOOLEAN,
               "status": STRING, "organization": obj({"id": STRING, "slug": STRING,
                                                      "name": STRING})})


def _query(name: str, description: str, *, many: bool = False, type_=OpenApiTypes.STR,
           enum: list[str] | None = None) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description,
                            many=many, enum=enum)


QUERY = _query("query", "Sentry's search syntax; default `is:unresolved`.")
CURSOR = _query("cursor", "The position to page from, as the `Link` header gives it.")
LIMIT = _query("limit", "Results per page, 1 to 100.", type_=OpenApiTypes.INT)
STATS_PERIOD = _query("statsPeriod", "A period back from now: `24h`, `14d`, `30m`, `2w`.")
START = _query("start", "Start of the range (ISO 8601), with `end`.",
               type_=OpenApiTypes.DATETIME)
END = _query("end", "End of the range (ISO 8601), with `start`.", type_=OpenApiTypes.DATETIME)
ENVIRONMENT = _query("environment", "Only these environments.", many=True)
SORT = _query("sort", "Order, newest first: last seen, first seen, events or users.",
              enum=["date", "new", "freq", "user"])
IDS = _query("id", "The issues to change (repeat it); without it, the issues `query` finds "
             "(at most 1,000).", many=True, type_=OpenApiTypes.INT)
PROJECTS = _query("project", "Only these project ids (`-1`: all).", many=True)
FULL = _query("full", "Whole events rather than summaries.", enum=["true", "false", "1", "0"])
HASH_IDS = _query("id", "The hashes to unmerge (repeat it).", many=True)
STATS_PERIOD_STATS = _query("statsPeriod", "The `stats` field's period: `24h`, `14d` or empty "
                            "for none.", enum=["24h", "14d", "30d", "auto", ""])
GROUP_STATS_PERIOD = _query("groupStatsPeriod", "The `stats` field's period: `24h`, `14d` or "
                            "empty for none.", enum=["24h", "14d", "30d", "auto", ""])
TAG_KEYS = _query("key", "Only these tag keys.", many=True)
INTERVAL = _query("interval", "Bucket size: `1h` or `1d`.", enum=["1h", "1d"])

STATS_V2_PARAMETERS = [
    _query("field", "What to sum.", enum=["sum(quantity)"]),
    _query("groupBy", "Split the counts by these.", many=True,
           enum=["outcome", "category", "reason", "project"]),
    _query("interval", "Bucket size in whole hours or days: `1h`, `6h`, `1d`."),
    STATS_PERIOD, START, END,
    _query("project", "Only these project ids (`-1`: all).", many=True),
    _query("category", "Only these data categories (`error`, `transaction`, `attachment`...).",
           many=True),
    _query("outcome", "Only these outcomes.", many=True,
           enum=["accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard",
                 "cardinality_limited"]),
    _query("reason", "Only these reasons.", many=True),
]
LINK = OpenApiParameter(
    "Link", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description='Sentry\'s cursor links: `<url>; rel="next"; results="true"; cursor="..."`.')
RATE_HEADERS = [
    OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.HEADER, response=True,
                     description=text)
    for name, text in (
        ("X-Sentry-Rate-Limit-Limit", "Requests the token may make per window."),
        ("X-Sentry-Rate-Limit-Remaining", "Requests left in this window."),
        ("X-Sentry-Rate-Limit-Reset", "When the window ends, in epoch seconds."),
    )
]


def _errors(*codes: int) -> dict[int, Any]:
    """The error answers every token route may give, plus `codes`: `{"detail": ...}`."""
    return {code: ERROR for code in sorted({401, 403, 429, *codes})}


def documented(method: str, summary: str, scope: str, response: Schema | None, *,
               status: int = 200, parameters: list[OpenApiParameter] | None = None,
               request: Schema | None = None, errors: tuple[int, ...] = (400, 404),
               paged: bool = False, tag: str = "Issues",
               extra_statuses: tuple[int, ...] = (), also: dict[int, Any] | None = None,
               bad_request: Schema = ERROR):
    """`extend_schema` for one method of a function view: its answer, its parameters, the
    scope it needs, and the error statuses it may give (401, 403 and 429 always)."""
    responses: dict[int, Any] = {status: response, **_errors(*errors)}
    if 400 in responses:
        responses[400] = bad_request
    for extra in extra_statuses:
        responses[extra] = None  # no body: nothing matched (204)
    responses.update(also or {})
    return extend_schema(
        methods=[method], summary=summary, operation_id=_operation_id(summary),
        description=f"Needs the `{scope}` scope.", tags=[tag], responses=responses,
        request={"application/json": request} if request is not None else None,
        parameters=[*(parameters or []), *([LINK] if paged else []), *RATE_HEADERS],
    )


def _operation_id(summary: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", summary.replace("'s", "s"))
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`, as Sentry's API."""

    target_class = "tracker.api.auth.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal (`sntryu_`) or organization (`sntrys_`) token."}
