"""Digest the inbox in a separate process (used by tests that kill or race workers).

    python -m tests.digest_process [--batch-size N] [--start-at EPOCH]

Runs against DATABASE_URL like any Errata process; waits until --start-at so that several
processes start at the same moment; digests until the inbox is empty.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django

django.setup()

from ingest.digest import batch  # noqa: E402 - needs Django set up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=batch.BATCH_SIZE)
    parser.add_argument("--start-at", type=float, default=0)
    args = parser.parse_args()
    while time.time() < args.start_at:
        time.sleep(0.005)
    while batch.digest_batch(args.batch_size):
        pass


if __name__ == "__main__":
    main()
