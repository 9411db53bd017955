"""Behaviour switches of the grouping config.

Everything a later config version might change is a field here, so that v2 is a new
`GroupingContext` value plus new code paths behind these flags, never edits to v1 logic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GroupingContext:
    config_id: str
    # The Sentry config whose hashes this one reproduces.
    sentry_config_id: str
    # Exception children are [stacktrace, type, ns-error, value]; the successor config puts
    # type and value first.
    legacy_exception_child_order: bool
    # The single-frame JavaScript check tests for a URL although its hint says "non-URL"; the
    # successor config fixes the test.
    js_single_frame_checks_url: bool
    # Leave `spawn_main(tracker_fd=12, ...)` style Python context lines alone.
    keep_multiprocessing_context_lines: bool
    # An unknown `{{ name }}` fingerprint entry stays literal instead of
    # `<unrecognized-variable-name>`.
    keep_unknown_fingerprint_variables: bool
    # Platforms whose context line is trusted enough to hash.
    context_line_platforms: frozenset[str]
    # Context lines longer than this (raw) are not hashed.
    max_context_line_length: int
    # JavaScript fuzzing: trim `Foo.bar` to `bar`, drop junk frames, do not treat `file:`
    # abs_paths as URLs for the filename.
    javascript_fuzzing: bool
    # `class@anonymous...::method` becomes `method` for PHP.
    php_detect_anonymous_classes: bool
    # Resource file names (inside this package) of the built-in rule sets.
    enhancements_base: str
    fingerprinting_base: str


V1 = GroupingContext(
    config_id="v1",
    sentry_config_id="newstyle:2023-01-11",
    legacy_exception_child_order=True,
    js_single_frame_checks_url=True,
    keep_multiprocessing_context_lines=True,
    keep_unknown_fingerprint_variables=True,
    context_line_platforms=frozenset({"javascript", "node", "python", "php", "ruby"}),
    max_context_line_length=120,
    javascript_fuzzing=True,
    php_detect_anonymous_classes=True,
    enhancements_base="enhancements_base.txt",
    fingerprinting_base="fingerprinting_base.txt",
)
