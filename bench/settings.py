"""Errata's settings plus one extra URL for benchmarks: a bare view, the framework ceiling."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
