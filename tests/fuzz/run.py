"""Run one fuzz target under atheris (libFuzzer, coverage-guided).

    python -m tests.fuzz.run TARGET [libFuzzer options] [corpus directories]

For example, ten seconds on the envelope parser from the checked-in seeds, new inputs going
to a scratch directory (libFuzzer adds what it finds to the first directory it is given):

    python -m tests.fuzz.run envelope -max_total_time=10 /tmp/found tests/fuzz/corpus/envelope

A failing input is written as crash-<sha1> (see -artifact_prefix); add it to the target's
seed corpus once fixed so the replay test keeps it fixed.
"""

from __future__ import annotations

import sys

import atheris

# Coverage feedback for the code under test, not for the standard library.
with atheris.instrument_imports(include=["ingest", "grouping"]):
    from tests.fuzz import targets


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in targets.TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.run {{{','.join(targets.TARGETS)}}} [options]")
    name = sys.argv[1]

    def one_input(data: bytes) -> None:
        targets.run(name, data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
