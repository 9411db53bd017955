"""Grouping config v1: Sentry's `newstyle:2023-01-11` semantics.

FROZEN. Once released, a config version never changes: stored hashes were made by this exact
code, and changing it would split existing issues. Fix bugs and add behaviour in a new
version package (v2) with its own `GroupingContext`, and migrate projects with secondary
hashing (grouping.md section 9). This includes the rule files and the parameterization table.

Modules:
    context          the behaviour flags of this config
    components       component trees and the md5 hash of their contributing leaves
    stacks           defensive access to the event's exceptions, threads, frames
    preprocess       JS module names, function trimming, in_app decided by rules
    enhancements     stack-trace rules (+app/-app/-group, categories, frame limits)
    frames           the frame component
    parameterization message normalization (<int>, <uuid>, ...)
    strategies       exception, chained exception, threads, stacktrace, template, message
    exception_groups which exceptions of a group count, and the main exception
    fingerprinting   client fingerprints, variables, server and built-in rules
    variants         fingerprint modes, variants, the final hash list
    titles           title, culprit, metadata
    compute          the entry point
"""

from .compute import compute, parse_enhancement_rules, parse_fingerprint_rules

ID = "v1"
SENTRY_CONFIG_ID = "newstyle:2023-01-11"

__all__ = ["ID", "SENTRY_CONFIG_ID", "compute", "parse_enhancement_rules", "parse_fingerprint_rules"]
