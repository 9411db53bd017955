"""Garbage-collector settings for the long-running processes: web and digest workers.

An event payload parses into thousands of dicts and lists, and CPython's collector counts
every one: by default a young collection runs every 700 container allocations, and each
older one walks everything the process holds, Django and our modules included (several
hundred thousand objects). On the benchmark's events the collector took close to a third of
parsing and normalizing an event (figures in bench/README.md, "Measurements behind the
code").

- gc.freeze() after start-up moves what exists by then (modules, settings, URL patterns) out
  of the collector's sight: it lives as long as the process anyway;
- a larger young generation runs the collector less often. Our data holds few cycles, so
  memory barely grows.
"""

import gc

YOUNG_THRESHOLD = 5000


def tune_after_startup() -> None:
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
