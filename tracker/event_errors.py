"""An event's processing errors (its `errors` list, Sentry's EventError entries) in words
for the event page: what was changed or could not be done, and for source maps what to do.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import urlsplit

from tracker.models import ArtifactBundle, Project

UPLOADS_SHOWN = 5


def _name(url: Any) -> str:
    """`app.4f3a.js` for `https://host/static/app.4f3a.js?x`: what people recognise."""
    text = str(url or "")
    return posixpath.basename(urlsplit(text).path) or text


def uploaded_bundles(project: Project) -> str:
    """The project's latest source map uploads, in a line, for "no source map found"."""
    bundles = list(ArtifactBundle.objects.filter(projects=project, state=ArtifactBundle.State.OK)
                   .order_by("-created")[:UPLOADS_SHOWN + 1])
    if not bundles:
        return "none (upload them with sentry-cli sourcemaps upload)"
    words = []
    for bundle in bundles[:UPLOADS_SHOWN]:
        facts = [f"{bundle.artifact_count} files", bundle.created.strftime("%Y-%m-%d %H:%M")]
        if bundle.release:
            facts.insert(0, f"release {bundle.release}" + (f", dist {bundle.dist}"
                                                          if bundle.dist else ""))
        words.append(f"{bundle.bundle_id or bundle.checksum[:12]} ({', '.join(facts)})")
    more = ", and older ones" if len(bundles) > UPLOADS_SHOWN else ""
    return "; ".join(words) + more


def explain(data: dict, project: Project) -> list[str]:
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    sentences, uploads = [], None
    for error in errors:
        if not isinstance(error, dict):
            continue
        kind = str(error.get("type") or "")
        if kind == "js_no_source":
            if uploads is None:
                uploads = uploaded_bundles(project)
            where = []
            if error.get("debug_id"):
                where.append(f"debug ID {error['debug_id']}")
            if error.get("release"):
                where.append(f"release {error['release']}"
                             + (f", dist {error['dist']}" if error.get("dist") else ", no dist"))
            looked = f" (looked for {' and '.join(where)})" if where else ""
            sentences.append(f"No source map found for {_name(error.get('url'))}{looked}; "
                             f"uploaded bundles: {uploads}.")
        elif kind == "js_invalid_source":
            reason = f": {error['reason']}" if error.get("reason") else ""
            sentences.append(f"The source map {error.get('url')} could not be read{reason}.")
        elif kind == "js_too_large":
            sentences.append(f"The source map {error.get('url')} is larger than the "
                             f"{error.get('max_size')} bytes symbolication reads "
                             "(SOURCEMAP_MAX_SIZE).")
        elif kind == "js_invalid_sourcemap_location":
            sentences.append(f"The source map of {_name(error.get('url'))} has no mapping for "
                             f"line {error.get('row')}, column {error.get('column')}: was it "
                             "uploaded for this build?")
        elif kind == "js_missing_sources_content":
            sentences.append(f"The source map {error.get('url')} does not include the source of "
                             f"{error.get('source')}, so no source lines are shown.")
        else:
            name = f" {error['name']}" if error.get("name") else ""
            reason = f" ({error['reason']})" if error.get("reason") else ""
            sentences.append(f"{kind.replace('_', ' ').capitalize()}{name}{reason}.")
    return sentences
