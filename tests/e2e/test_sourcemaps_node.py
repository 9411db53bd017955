"""@sentry/node running a minified TypeScript build: its source maps, uploaded with the real
sentry-cli, map the stack trace back to the .ts source."""

from __future__ import annotations

import json

import pytest

from tests.jsapp.build import build_node
from tests.live import dsn_for, run_node_sdk, wait_until
from tests.sourcemaps import sentry_cli
from tests.tracker.test_api import make_token
from tracker.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_node_stack_traces_map_to_typescript(errata_server, digest_worker, user, project,
                                             tmp_path):
    token = make_token(user)
    script = build_node(tmp_path / "service")
    dist = script.parent
    sentry_cli(errata_server, token, dist.parent, "sourcemaps", "inject", str(dist))
    sentry_cli(errata_server, token, dist.parent, "sourcemaps", "upload", "--wait", str(dist))

    run_node_sdk(dsn_for(errata_server, project), f"""
        const orders = require({json.dumps(str(script))});
        try {{ orders.validateOrder({{id: "A-7", lines: []}}); }}
        catch (error) {{ Sentry.captureException(error); }}
    """)
    event = wait_until(lambda: Event.objects.first(), timeout=60)

    assert event.data["platform"] == "node"
    frames = event.data["exception"]["values"][0]["stacktrace"]["frames"]
    frame = next(f for f in reversed(frames) if f.get("data", {}).get("symbolicated"))
    assert frame["abs_path"] == str(tmp_path / "service" / "ts" / "orders.ts")
    assert (frame["function"], frame["lineno"]) == ("validateOrder", 10)
    assert frame["context_line"].strip() == "throw new Error(`order ${order.id} has no items`);"
    assert frame["data"]["resolved_with"] == "debug-id"
    assert frame["data"]["minified"]["filename"] == str(script)
