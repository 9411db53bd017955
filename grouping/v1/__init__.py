"""Grouping config v1: Sentry's `newstyle:2023-01-11` semantics.

FROZEN. Once released, a config version never changes: stored hashes were made by this exact
code, and changing it would split existing issues. Fix bugs and add behaviour in a new
version package (v2) with its own `GroupingContext`, and migrate projects with secondary
hashing (docs/grouping.md §10). This includes the rule files and the parameterization table.

Modules:
    context          the behaviour flags of this config (what a v2 would change)
    grouper          the entry point: compute(), rule parsing, rule caches
    stacks           defensive access to the event's exceptions, threads, frames
    preprocess       JS module names, function trimming, in_app decided by rules
    functions        native and C# function-name trimming
    enhancements     stack-trace rules (+app/-app/-group, categories, frame limits)
    fingerprinting   client fingerprints, variables, server and built-in rules
    rule_syntax      lexing shared by both rule languages
    glob             glob patterns of the rule languages
    components       component trees and the md5 hash of their contributing leaves
    frames           the frame component
    strategies       exception, chained exception, threads, stacktrace, template, message
    exception_groups which exceptions of a group count, and the main exception
    parameterization message normalization (<int>, <uuid>, ...)
    variants         fingerprint modes, variants, the final hash list
    titles           title, culprit, metadata
    platforms        platform families and URL tests
    enhancements_base.txt, fingerprinting_base.txt: the built-in rule sets
"""

from .grouper import compute, parse_enhancement_rules, parse_fingerprint_rules

ID = "v1"
SENTRY_CONFIG_ID = "newstyle:2023-01-11"

__all__ = [
    "ID", "SENTRY_CONFIG_ID", "compute", "parse_enhancement_rules", "parse_fingerprint_rules",
]
