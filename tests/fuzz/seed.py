"""Writes the seed corpus (tests/fuzz/corpus/<target>/) from the real SDK envelopes in
tests/corpus/envelopes and a few hand-made cases. Run it again after adding envelopes there:

    python -m tests.fuzz.seed
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENVELOPES = sorted((HERE.parent / "corpus" / "envelopes").glob("*.envelope"))
KEY = "a" * 32


def event_payloads() -> list[bytes]:
    found = []
    for path in ENVELOPES:
        lines = path.read_bytes().split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if b'"type":"event"' in header.replace(b" ", b""):
                found.append(payload)
    return found


def seeds() -> dict[str, list[bytes]]:
    events = event_payloads()
    small = events[:6]
    attachment_only = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n'
                       b'{"type":"attachment","length":5,"filename":"a.txt"}\nhello\n'
                       b'{"type":"attachment","attachment_type":"event.minidump",'
                       b'"filename":"c.dmp"}\nMDMP\x93\xa7\n')
    return {
        "envelope": [p.read_bytes() for p in ENVELOPES[:12]] + [
            attachment_only,
            b'{"dsn":"https://' + KEY.encode() + b'@example.com/1"}\n{"type":"session"}\n{}\n',
            b'{}\n{"type":"event","length":2}\n{}\n{"type":"event"}\n{}\n',
        ],
        "decode": [bytes([c]) + e for c, e in zip(range(0, 176, 16), small * 2, strict=False)],
        "store_body": [
            *small[:3],
            base64.b64encode(zlib.compress(small[0])), base64.urlsafe_b64encode(small[1]),
            b'{"message": NaN, "extra": {"x": Infinity}}',
        ],
        "auth": [
            f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.0".encode(),
            f"\x00Sentry sentry_key={KEY},sentry_version=7".encode(),
            f"\x00Basic {base64.b64encode(f'{KEY}:'.encode()).decode()}".encode(),
            f"\x00\x00sentry_key={KEY}\x00sentry_version=7".encode(),
            f"Sentry sentry_key={KEY}\x00\x00sentry_key={KEY}\x00"
            f"https://{KEY}@example.com/1".encode(),
        ],
        "normalize": [
            *small,
            json.dumps({"message": "\ud83d cut", "tags": {"a\x00": "b"}}).encode(),
            b'{"exception":{"values":[{"type":"E","stacktrace":{"frames":[{}]}}]}}',
            b'{"extra":' + b'[' * 600 + b'"\\u0000"' + b']' * 600 + b'}',
        ],
    }


def main() -> None:
    for target, inputs in seeds().items():
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)
        print(f"{target}: {len(inputs)} seeds")


if __name__ == "__main__":
    main()
