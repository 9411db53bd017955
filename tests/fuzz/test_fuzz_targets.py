"""The fuzz targets in the suite: the checked-in seed corpus replayed (every input, every run),
and a bounded coverage-guided run of each target under atheris (about eight seconds each, once
per CI run: the targets are pure, so the embedded run does it and the PostgreSQL run skips)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.fuzz import targets

CORPUS = Path(__file__).resolve().parent / "corpus"
ROOT = CORPUS.parent.parent.parent
SECONDS_PER_TARGET = 8


def seeds():
    return [
        pytest.param(target, path, id=f"{target}/{path.name}")
        for target in targets.TARGETS
        for path in sorted((CORPUS / target).iterdir())
    ]


def test_every_target_has_seeds():
    for target in targets.TARGETS:
        assert any((CORPUS / target).iterdir()), f"no seeds for {target}: python -m tests.fuzz.seed"


@pytest.mark.parametrize(("target", "path"), seeds())
def test_seed_corpus_is_refused_or_accepted_cleanly(target, path):
    targets.run(target, path.read_bytes())


@pytest.mark.fuzz
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="pure targets: fuzzed once, on the embedded run",
)
@pytest.mark.parametrize("target", list(targets.TARGETS))
def test_bounded_fuzz_run(target, tmp_path):
    """libFuzzer mutates the seeds for a few seconds; any exception that is not the
    protocol's own refusal, an input slower than 5 s or a process over 1 GB fails it."""
    found = tmp_path / "found"
    found.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", target,
         f"-max_total_time={SECONDS_PER_TARGET}", "-max_len=8192", "-timeout=5",
         "-rss_limit_mb=1024", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
         str(found), str(CORPUS / target)],
        cwd=ROOT, capture_output=True, text=True, timeout=SECONDS_PER_TARGET + 120,
        check=False,
    )
    crashes = [p for p in tmp_path.iterdir() if p.is_file()]
    if result.returncode != 0 or crashes:
        keep = ROOT / "var" / "fuzz-artifacts"
        keep.mkdir(parents=True, exist_ok=True)
        for crash in crashes:
            shutil.copy(crash, keep / f"{target}-{crash.name}")
        pytest.fail(f"fuzzing {target} failed (inputs kept in {keep}):\n{result.stderr[-4000:]}")
    assert "Done" in result.stderr
