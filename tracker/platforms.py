"""The platforms a project can be created for: Sentry's platform ids, with what the
onboarding page shows for each (how to install the SDK, and the least code that sends
errors to the project's DSN).

Snippets are plain text with a `__DSN__` placeholder; pages put them in <pre> with
autoescaping, so neither the snippet nor the DSN is ever read as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

DSN_PLACEHOLDER = "__DSN__"


@dataclass(frozen=True)
class Platform:
    id: str
    label: str
    install: str = ""
    snippet: str = ""
    where: str = ""  # where the snippet goes, when that matters
    sourcemaps: bool = False  # minified in production: show how to upload source maps

    def init_snippet(self, dsn: str) -> str:
        return self.snippet.replace(DSN_PLACEHOLDER, dsn)


def sourcemap_steps(server_url: str, org_slug: str, project_slug: str) -> str:
    """How to upload a build's source maps to this server with sentry-cli (docs/sourcemaps.md):
    shell lines to run after each production build, in the build's output directory."""
    return (
        "# Build with source maps (esbuild --sourcemap, Vite build.sourcemap: true,\n"
        "# webpack devtool: \"source-map\"), then upload them from your CI:\n"
        "npm install --save-dev @sentry/cli\n"
        f"export SENTRY_URL={server_url}\n"
        f"export SENTRY_ORG={org_slug}\n"
        f"export SENTRY_PROJECT={project_slug}\n"
        "export SENTRY_AUTH_TOKEN=...  # manage.py create_token <username>\n"
        "npx sentry-cli sourcemaps inject ./dist\n"
        "npx sentry-cli sourcemaps upload ./dist\n"
    )


_PYTHON = """\
import sentry_sdk

sentry_sdk.init(
    dsn="__DSN__",
)
"""

_NODE = """\
const Sentry = require("@sentry/node");

Sentry.init({
  dsn: "__DSN__",
});
"""

_EXPRESS = """\
const Sentry = require("@sentry/node");

Sentry.init({
  dsn: "__DSN__",
});

const express = require("express");
const app = express();
// ... your routes ...
Sentry.setupExpressErrorHandler(app);
"""


def _browser(package: str, extra: str = "") -> str:
    return (
        f'import * as Sentry from "{package}";\n\n'
        f'Sentry.init({{\n{extra}  dsn: "__DSN__",\n}});\n'
    )


_GO = """\
import (
    "log"
    "time"

    "github.com/getsentry/sentry-go"
)

func main() {
    err := sentry.Init(sentry.ClientOptions{
        Dsn: "__DSN__",
    })
    if err != nil {
        log.Fatalf("sentry.Init: %s", err)
    }
    defer sentry.Flush(2 * time.Second)
}
"""

_JAVA = """\
import io.sentry.Sentry;

Sentry.init(options -> {
    options.setDsn("__DSN__");
});
"""

_CSHARP = """\
using Sentry;

SentrySdk.Init(options =>
{
    options.Dsn = "__DSN__";
});
"""

_RUBY = """\
require "sentry-ruby"

Sentry.init do |config|
  config.dsn = "__DSN__"
end
"""

_PHP = """\
<?php
\\Sentry\\init([
    'dsn' => '__DSN__',
]);
"""

PLATFORMS: dict[str, Platform] = {p.id: p for p in [
    Platform("python", "Python", "pip install --upgrade sentry-sdk", _PYTHON,
             "as early as possible in your program"),
    Platform("python-django", "Django", 'pip install --upgrade "sentry-sdk[django]"', _PYTHON,
             "in settings.py"),
    Platform("python-flask", "Flask", 'pip install --upgrade "sentry-sdk[flask]"', _PYTHON,
             "before the Flask app is created"),
    Platform("python-fastapi", "FastAPI", 'pip install --upgrade "sentry-sdk[fastapi]"',
             _PYTHON, "before the FastAPI app is created"),
    Platform("node", "Node.js", "npm install @sentry/node", _NODE,
             "before any other module is required"),
    Platform("node-express", "Express", "npm install @sentry/node", _EXPRESS,
             "before express is required"),
    Platform("javascript", "Browser JavaScript", "npm install @sentry/browser",
             _browser("@sentry/browser"), "in your entry point", sourcemaps=True),
    Platform("javascript-react", "React", "npm install @sentry/react",
             _browser("@sentry/react"), "before the app is rendered", sourcemaps=True),
    Platform("javascript-vue", "Vue", "npm install @sentry/vue",
             _browser("@sentry/vue", "  app,\n"), "after createApp(), before mount()",
             sourcemaps=True),
    Platform("go", "Go", "go get github.com/getsentry/sentry-go", _GO),
    Platform("java", "Java", "implementation 'io.sentry:sentry:latest.release'  // Gradle",
             _JAVA, "at startup"),
    Platform("csharp", ".NET (C#)", "dotnet add package Sentry", _CSHARP, "at startup"),
    Platform("ruby", "Ruby", "bundle add sentry-ruby", _RUBY, "at startup"),
    Platform("php", "PHP", "composer require sentry/sentry", _PHP,
             "at the top of your entry point"),
    Platform("other", "Other"),
]}

CHOICES = [(p.id, p.label) for p in PLATFORMS.values()]


def get(platform_id: str) -> Platform:
    """The platform, or "Other" for ids this list doesn't know (older projects, empty)."""
    return PLATFORMS.get(platform_id) or PLATFORMS["other"]


def label(platform_id: str) -> str:
    if not platform_id:
        return "—"
    known = PLATFORMS.get(platform_id)
    return known.label if known else platform_id
