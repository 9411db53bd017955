from datetime import UTC, datetime

import pytest

from ingest.protocol.envelope import Envelope, Item, normalize_event_id, parse_envelope
from ingest.protocol.errors import IngestError

MiB = 1024 * 1024
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"

# An envelope framed as the SDKs frame it (the format: docs/protocol.md §5.4).
DOC_EXAMPLE = (
    b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://4f1e0c2a9b7d4e55a1c3d2e1f0a9b8c7'
    b'@errors.example.org/42","sent_at":"2025-03-04T10:11:12.345Z","sdk":{"name":"sentry.python",'
    b'"version":"2.19.0"}}\n'
    b'{"type":"event","content_type":"application/json"}\n'
    b'{"message":"hello","level":"error","platform":"python"}\n'
    b'{"type":"attachment","length":11,"filename":"notes.txt","content_type":"text/plain"}\n'
    b"hello\n"
    b"world\n"
)


def parse(body: bytes, **limits) -> Envelope:
    limits = {
        "max_event_size": MiB,
        "max_attachment_size": 100 * MiB,
        "max_attachments_size": 100 * MiB,
        **limits,
    }
    return parse_envelope(body, **limits)


def rejected(body: bytes, **limits) -> IngestError:
    with pytest.raises(IngestError) as caught:
        parse(body, **limits)
    return caught.value


def shape(envelope: Envelope) -> list[tuple[str, bytes]]:
    return [(item.type, item.payload) for item in envelope.items]


@pytest.mark.parametrize("final_newline", [True, False])
def test_doc_example(final_newline):
    body = DOC_EXAMPLE if final_newline else DOC_EXAMPLE[:-1]
    envelope = parse(body)
    assert envelope.event_id == EVENT_ID
    assert envelope.dsn == "https://4f1e0c2a9b7d4e55a1c3d2e1f0a9b8c7@errors.example.org/42"
    assert envelope.sent_at == datetime(2025, 3, 4, 10, 11, 12, 345000, tzinfo=UTC)
    assert envelope.headers["sdk"] == {"name": "sentry.python", "version": "2.19.0"}
    assert shape(envelope) == [
        ("event", b'{"message":"hello","level":"error","platform":"python"}'),
        ("attachment", b"hello\nworld"),
    ]
    attachment = envelope.items[1]
    assert (attachment.filename, attachment.content_type) == ("notes.txt", "text/plain")
    assert attachment.attachment_type == "event.attachment"
    assert envelope.event_item is envelope.items[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"{}", [], id="headers-only"),
        pytest.param(b"{}\n", [], id="headers-only-newline"),
        pytest.param(b"{}\n\n \t\r\n", [], id="trailing-whitespace"),
        pytest.param(b'{}\n{"type":"event"}', [("event", b"")], id="item-header-at-eof"),
        pytest.param(b'{}\n{"type":"event"}\n', [("event", b"")], id="item-header-then-eof"),
        pytest.param(b'{}\n{"type":"event"}\n{}', [("event", b"{}")], id="payload-at-eof"),
        pytest.param(
            b'{}\n{"type":"attachment","length":0}\n\n{"type":"event"}\n{}\n',
            [("attachment", b""), ("event", b"{}")],
            id="length-0-then-item",
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":0}', [("attachment", b"")], id="length-0-at-eof"
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":0}\n', [("attachment", b"")], id="length-0-newline"
        ),
        pytest.param(
            b'{}\n{"type":"session"}\n\n{"type":"event"}\n{}',
            [("session", b""), ("event", b"{}")],
            id="empty-line-after-header-is-empty-payload",
        ),
        pytest.param(
            b'{}\n{"type":"event"}\n{}\n\n\n{"type":"session"}\n{"sid":1}\n',
            [("event", b"{}"), ("session", b'{"sid":1}')],
            id="blank-lines-between-items",
        ),
        pytest.param(
            b'{}\r\n{"type":"event"}\r\n{"a":1}\r\n',
            [("event", b'{"a":1}\r')],
            id="crlf-belongs-to-payload",
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":4}\r\nab\r\r\n',
            [("attachment", b"ab\r\r")],
            id="crlf-with-length",
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":6}\n\x00\n\xff\n\r\n\n',
            [("attachment", b"\x00\n\xff\n\r\n")],
            id="binary-payload-with-newlines",
        ),
        pytest.param(
            b'{}\n{"type":"log","item_count":2}\n{"items":[]}\n{"type":"trace_metric"}\n{}\n',
            [("log", b'{"items":[]}'), ("trace_metric", b"{}")],
            id="unknown-types-kept",
        ),
        pytest.param(
            b'  {}  \n {"type":"event", "length":2} \n{}\n',
            [("event", b"{}")],
            id="whitespace-inside-header-lines",
        ),
    ],
)
def test_framing(body, expected):
    assert shape(parse(body)) == expected


def test_length_counts_bytes_not_characters():
    payload = "hé€".encode()  # 6 bytes, 3 characters
    body = b'{}\n{"type":"attachment","length":6}\n' + payload + b"\n"
    assert parse(body).items[0].payload == payload


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(
            b'{}\n{"type":"attachment","length":20}\nshort\n',
            "runs past the end",
            id="length-past-end",
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":3}\nabcd\n',
            "missing newline",
            id="no-newline-after-payload",
        ),
        pytest.param(
            b'{}\n{"type":"attachment","length":2}\nab\r\n', "missing newline", id="cr-is-payload"
        ),
        pytest.param(
            b"{\n", "envelope header (line 1) is not valid JSON", id="bad-envelope-header"
        ),
        pytest.param(
            b"[]\n", "envelope header (line 1) is not a JSON object", id="array-envelope-header"
        ),
        pytest.param(b'"x"', "not a JSON object", id="string-envelope-header"),
        pytest.param(b"\n{}\n", "not valid JSON", id="blank-first-line"),
        pytest.param(
            b'{}\n{"type":"event"\n', "item 0 header is not valid JSON", id="bad-item-header"
        ),
        pytest.param(b"{}\n[1]\n", "item 0 header is not a JSON object", id="array-item-header"),
        pytest.param(b"{}\nnull\n", "item 0 header is not a JSON object", id="null-item-header"),
        pytest.param(b'{}\n{"length":2}\n{}\n', 'no "type"', id="missing-type"),
        pytest.param(b'{}\n{"type":""}\n', 'no "type"', id="empty-type"),
        pytest.param(b'{}\n{"type":7}\n', 'no "type"', id="numeric-type"),
        pytest.param(
            b'{}\n{"type":"event","length":-1}\n', "not a byte count", id="negative-length"
        ),
        pytest.param(b'{}\n{"type":"event","length":1.5}\n', "not a byte count", id="float-length"),
        pytest.param(
            b'{}\n{"type":"event","length":"2"}\n{}', "not a byte count", id="string-length"
        ),
        pytest.param(
            b'{}\n{"type":"event","length":true}\n{}', "not a byte count", id="bool-length"
        ),
        pytest.param(b"{}\n" + b"[" * 100_000 + b"\n", "not valid JSON", id="deep-nesting"),
        pytest.param(
            b'{}\n{"type":"event"}\n{}\n\xff\xfe\n',
            "item 1 header is not valid JSON",
            id="binary-garbage",
        ),
    ],
)
def test_framing_errors(body, fragment):
    error = rejected(body)
    assert error.status == 400
    assert error.outcome_reason == "invalid_envelope"
    assert error.detail.startswith("invalid envelope: ")
    assert fragment in error.detail


@pytest.mark.parametrize("body", [b"", b"   ", b"\n\n"])
def test_empty_body(body):
    error = rejected(body)
    assert (error.status, error.outcome_reason) == (400, "empty_body")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (EVENT_ID, EVENT_ID),
        (EVENT_ID.upper(), EVENT_ID),
        ("9ec79c33-ec99-42ab-8353-589fcb2e04dc", EVENT_ID),
        ("9EC79C33-EC99-42AB-8353-589FCB2E04DC", EVENT_ID),
        ("{9ec79c33-ec99-42ab-8353-589fcb2e04dc}", EVENT_ID),
        ("urn:uuid:9ec79c33-ec99-42ab-8353-589fcb2e04dc", EVENT_ID),
        ("00000000000000000000000000000000", "00000000000000000000000000000000"),
        ("9ec79c33ec9942ab8353589fcb2e04d", None),
        ("9ec79c33ec9942ab8353589fcb2e04dcc", None),
        ("9ec79c33ec9942ab8353589fcb2e04dg", None),
        ("9ec79c33-ec9942ab-8353-589fcb2e04dc", None),
        ("9ec7-9c33ec9942ab8353589fcb2e04dc", None),
        ("", None),
        (42, None),
        (None, None),
        (["x"], None),
    ],
)
def test_normalize_event_id(raw, expected):
    assert normalize_event_id(raw) == expected


def test_header_event_id_is_normalized():
    envelope = parse(b'{"event_id":"9EC79C33-EC99-42AB-8353-589FCB2E04DC"}\n')
    assert envelope.event_id == EVENT_ID
    assert envelope.headers["event_id"] == EVENT_ID


@pytest.mark.parametrize("header", [b'{"event_id":null}', b"{}"])
def test_absent_event_id(header):
    assert parse(header + b'\n{"type":"event"}\n{}').event_id is None


@pytest.mark.parametrize("raw", [b'"not-a-uuid"', b"42", b'"9ec79c33ec9942ab"', b"{}"])
def test_bad_event_id_is_400(raw):
    error = rejected(b'{"event_id":' + raw + b'}\n{"type":"event"}\n{}\n')
    assert (error.status, error.outcome_reason) == (400, "invalid_event_id")
    assert "event_id" in error.detail


@pytest.mark.parametrize(
    "types",
    [
        ("event", "event"),
        ("event", "transaction"),
        ("transaction", "transaction"),
        ("event", "security"),
        ("raw_security", "event"),
        ("event", "unreal_report"),
        ("form_data", "form_data"),
        ("event", "attachment", "session", "event"),
    ],
)
def test_duplicate_event_items(types):
    body = b"{}\n" + b"".join(b'{"type":"%s"}\n{}\n' % t.encode() for t in types)
    error = rejected(body)
    assert (error.status, error.outcome_reason) == (400, "duplicate_item")
    assert "duplicate item" in error.detail


def test_many_non_event_items_are_fine():
    body = b"{}\n" + b'{"type":"event"}\n{}\n' + b'{"type":"attachment","length":1}\nx\n' * 5
    assert len(parse(body).items) == 6


@pytest.mark.parametrize(
    ("item_type", "reason"),
    [
        ("event", "too_large:event"),
        ("transaction", "too_large:transaction"),
        ("span", "too_large:span"),
        ("log", "too_large:log"),
        ("feedback", "too_large:feedback"),
    ],
)
def test_event_sized_items_over_limit(item_type, reason):
    body = b'{}\n{"type":"%s"}\n' % item_type.encode() + b"x" * 101
    error = rejected(body, max_event_size=100)
    assert (error.status, error.outcome_reason) == (413, reason)
    assert "101 bytes" in error.detail


def test_event_at_limit_is_fine():
    body = b'{}\n{"type":"event"}\n' + b"x" * 100
    assert len(parse(body, max_event_size=100).items[0].payload) == 100


@pytest.mark.parametrize(
    ("attachment_type", "reason"),
    [
        (None, "too_large:attachment"),
        ("event.attachment", "too_large:attachment"),
        ("event.minidump", "too_large:attachment:minidump"),
        ("event.applecrashreport", "too_large:attachment:apple_crash_report"),
        ("event.view_hierarchy", "too_large:attachment:view_hierarchy"),
        ("made.up", "too_large:attachment"),
    ],
)
def test_attachment_over_limit(attachment_type, reason):
    extra = f',"attachment_type":"{attachment_type}"' if attachment_type else ""
    body = b'{}\n{"type":"attachment","length":11%s}\n' % extra.encode() + b"x" * 11
    error = rejected(body, max_attachment_size=10)
    assert (error.status, error.outcome_reason) == (413, reason)


def test_attachments_total_over_limit():
    one = b'{"type":"attachment","length":6}\nxxxxxx\n'
    assert len(parse(b"{}\n" + one * 2, max_attachments_size=12).items) == 2
    error = rejected(b"{}\n" + one * 3, max_attachments_size=12)
    assert (error.status, error.outcome_reason) == (413, "too_large:attachment")


def test_attachments_do_not_count_against_event_limit():
    body = b'{}\n{"type":"attachment","length":500}\n' + b"x" * 500
    assert len(parse(body, max_event_size=100).items) == 1


def test_too_many_items():
    body = b"{}\n" + b'{"type":"session"}\n{}\n' * 11
    assert len(parse(body, max_items=11).items) == 11
    error = rejected(body, max_items=10)
    assert error.status == 413


def test_item_accessors_and_helpers():
    envelope = parse(
        b'{"sent_at":"garbage"}\n'
        b'{"type":"attachment","attachment_type":"event.minidump","filename":7,"length":1}\nM\n'
        b'{"type":"client_report"}\n{}\n'
    )
    minidump, report = envelope.items
    assert minidump.attachment_type == "event.minidump"
    assert minidump.filename is None
    assert envelope.sent_at is None
    assert envelope.event_item is None
    assert envelope.items_of_type("client_report") == [report]
    assert Item({"type": "x"}, b"").attachment_type == "event.attachment"


def test_many_items_parse_exactly():
    payloads = [b"p%d" % i for i in range(500)]
    body = b"{}\n" + b"".join(
        b'{"type":"attachment","length":%d}\n%s\n' % (len(p), p) for p in payloads
    )
    assert [item.payload for item in parse(body).items] == payloads
