"""Message normalization: the two-line cut and the token table of docs/grouping.md §6.7."""

import pytest

from grouping.v1.parameterization import normalize_message, parameterize

DOC_EXAMPLES = [
    (
        "Could not reach 10.0.0.12 for request 7d444840-9dc0-11d1-b245-5ffdce74fad2 after 3 "
        "retries",
        "Could not reach <ip> for request <uuid> after <int> retries",
    ),
    (
        "Login failed for alice@example.com (remember=true, reason='bad password')",
        "Login failed for <email> (remember=<bool>, reason=<quoted_str>)",
    ),
    # The email local part allows "=", so "user=" is swallowed.
    ("user=alice@example.com", "<email>"),
    # A quote not after "=" stays.
    ("invalid literal for int() with base 10: 'abc'",
     "invalid literal for int() with base <int>: 'abc'"),
]

TOKENS = [
    ("mail bob.smith+tag@mail.example.org now", "mail <email> now"),
    ("GET https://api.example.com/v1/items?id=3 failed", "GET <url> failed"),
    ("ws://socket.local:8080/feed dropped", "<url> dropped"),
    ("resolve db.internal.io failed", "resolve <hostname> failed"),
    ("resolve DB.INTERNAL.COM failed", "resolve <hostname> failed"),
    ("peer 192.168.1.254 reset", "peer <ip> reset"),
    ("peer ::1 reset", "peer <ip> reset"),
    # Alternatives are tried in table order: the compressed IPv6 form claims "::ffff:10"
    # before the IPv4-mapped form is tried (Sentry's table behaves the same).
    ("peer ::ffff:10.1.2.3 reset", "peer <ip>.<float>.<int> reset"),
    ("peer 2001:db8:85a3:0:0:8a2e:370:7334 reset", "peer <ip> reset"),
    ("SomeClass::someMethod() failed", "SomeClass::someMethod() failed"),
    ("trace 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 lost",
     "trace <traceparent> lost"),
    ("aws 1-5759e988-bd862e3fe1be46a994272793 lost", "aws <traceparent> lost"),
    ("id 550E8400-E29B-41D4-A716-446655440000", "id <uuid>"),
    ("commit da39a3ee5e6b4b0d3255bfef95601890afd80709", "commit <sha1>"),
    ("digest d41d8cd98f00b204e9800998ecf8427e", "digest <md5>"),
    ("at 2024-03-01T12:30:45.123Z", "at <date>"),
    ("at 2024-03-01 12:30:45", "at <date>"),
    ("on 2024-03-01 only", "on <date> only"),
    ("at Mon, 02 Jan 2006 15:04:05 MST", "at <date>"),
    ("at Mon Jan 02 2006 15:04:05 GMT-0700 (Mountain Standard Time)", "at <date>"),
    ("at 3:04 PM sharp", "at <date> sharp"),
    ("at 23:59 sharp", "at <date> sharp"),
    ("made datetime.datetime(2024, 1, 2, 3, 4) here", "made <date> here"),
    ("slow: 250ms then 1.5s", "slow: <duration> then <duration>"),
    ("tx0123456789abcdef01234-0123456789-east lost", "<swift_txn_id> lost"),
    ("addr 0x7ffee3b8a9c0 bad", "addr <hex> bad"),
    ("token deadbeef1234 bad", "token <hex> bad"),
    ("token DEADBEEF1234 bad", "token <hex> bad"),
    ("token deadbeef bad", "token deadbeef bad"),
    ("build abc1234 broke", "build <git_sha> broke"),
    ("build 1234567 broke", "build <int> broke"),
    ("ratio 0.75 too high", "ratio <float> too high"),
    ("offset -3.5 too low", "offset <float> too low"),
    ("retry 3 of 10", "retry <int> of <int>"),
    ("delta -42 units", "delta <int> units"),
    ("item-42 missing", "item-<int> missing"),
    ("big 12345678 number", "big <hex> number"),
    ('name="alice" rejected', "name=<quoted_str> rejected"),
    ("flag=False ignored", "flag=<bool> ignored"),
    ("just true words", "just true words"),
    ("division by zero", "division by zero"),
]


@pytest.mark.parametrize(("text", "expected"), DOC_EXAMPLES + TOKENS)
def test_parameterize(text, expected):
    assert normalize_message(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one line", "one line"),
        ("first\nsecond", "first\nsecond"),
        ("first\nsecond\nthird", "first\nsecond..."),
        ("first\n\n   \nsecond", "first\nsecond..."),
        ("trailing newline\n", "trailing newline..."),
        ("line 1\nline 2\nline 3", "line <int>\nline <int>..."),
    ],
)
def test_two_non_empty_lines(text, expected):
    assert normalize_message(text) == expected


def test_text_without_candidates_skips_the_scan():
    assert parameterize("no digits or marks here") == "no digits or marks here"
