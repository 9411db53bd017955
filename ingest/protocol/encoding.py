"""Request body decoding: `Content-Encoding` as a stream, within size limits
(docs/protocol.md §4.2).

Every decoder reads its input in bounded slices and emits bounded output chunks, so a
compression bomb is stopped as soon as the decompressed size passes the limit, while memory
stays within a few MiB beyond the body we are allowed to keep.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import brotli
import zstandard

from ingest.protocol.errors import BadRequest, PayloadTooLarge, clip

# Output produced per decompressor call; also the input slice size for zlib and brotli, so
# zlib's `unconsumed_tail` copies stay small even if the caller hands us one huge chunk.
_CHUNK = 64 * 1024
# zstd has no output cap per call: one 4-byte RLE block expands to 128 KiB, so feeding
# 64 bytes at a time bounds a single call to about 2 MiB of output.
_ZSTD_SLICE = 64
# Frames declaring a bigger window (`zstd --long`, `--ultra`) are refused rather than letting
# a client make us allocate up to 2 GiB; level 19 and below need at most 8 MiB.
_ZSTD_MAX_WINDOW = 8 * 1024 * 1024
# Stacked encodings are legal; more than a few layers is only ever an attack.
_MAX_LAYERS = 3
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_IGNORED = frozenset({"", "identity", "utf-8"})  # sentry-ruby sends "", sentry-android "UTF-8"

_Stream = Iterator[bytes]


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _brotli_can_cap_output() -> bool:
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return False
    return True


# Older brotli releases return the whole output of each call: a few bytes can expand to
# gigabytes, so without `output_buffer_limit` (brotli 1.2) there is no safe way to decode.
if not _brotli_can_cap_output():  # pragma: no cover - depends on the installed release
    raise ImportError(
        "ingest.protocol.encoding needs brotli>=1.2 (Decompressor output_buffer_limit)")


def decode_body(
    chunks: Iterable[bytes],
    content_encoding: str | None,
    *,
    max_compressed: int,
    max_decompressed: int,
    too_large_reason: str = "too_large:envelope",
    content_length: int | None = None,
) -> bytes:
    """Read and decode a request body.

    `max_compressed` counts bytes as they arrive on the wire (for an unencoded body those are
    also the decoded bytes, so both limits apply). Raises 413 over either limit and 400 for
    corrupt data, an unknown encoding, or a body that ends before its declared
    `content_length`.
    """
    encodings = parse_content_encoding(content_encoding)
    stream: _Stream = _count_wire_bytes(chunks, max_compressed, too_large_reason, content_length)
    for encoding in reversed(encodings):  # the last encoding listed was applied last
        stream = _guard(encoding, _DECODERS[encoding](stream))
        # Intermediate layers are bounded too: 10 GB of empty gzip members decode to nothing
        # but would still burn CPU.
        stream = _limit(stream, max_decompressed, too_large_reason)
    if not encodings:
        stream = _limit(stream, max_decompressed, too_large_reason)
    parts = list(stream)
    if len(parts) == 1:
        return bytes(parts[0])
    return b"".join(parts)


def stream_chunks(stream: _Readable, chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """Bounded reads from a file-like request stream, for `decode_body`.

    Iterating a Django request yields *lines*, and a compressed body may have none: read in
    fixed sizes instead so the compressed limit is enforced while the body arrives.
    """
    while chunk := stream.read(chunk_size):
        yield chunk


def parse_content_encoding(value: str | None) -> list[str]:
    """The encodings named by a `Content-Encoding` value, in the order they were applied."""
    if not value:
        return []
    encodings = []
    for token in value.split(","):
        name = token.strip().lower()
        if name in _IGNORED:
            continue
        if name not in _DECODERS:
            # 400 rather than the 415 RFC 9110 suggests: SDKs handle every 4xx but 413/429 the
            # same way, and keeping "the body cannot be read" on one status gives one path in
            # the view and one INVALID outcome reason.
            raise BadRequest(
                f"unsupported content encoding: {clip(token.strip())}",
                outcome_reason="invalid_compression",
            )
        encodings.append(name)
    if len(encodings) > _MAX_LAYERS:
        raise BadRequest(
            f"too many content encodings ({len(encodings)})", outcome_reason="invalid_compression"
        )
    return encodings


def _count_wire_bytes(
    chunks: Iterable[bytes], limit: int, reason: str, expected: int | None
) -> _Stream:
    total = 0
    for chunk in chunks:
        if not chunk:
            continue
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(
                f"request body is larger than {limit} bytes", outcome_reason=reason
            )
        yield chunk
    if expected is not None and total < expected:
        # The client went away (or a proxy gave up) mid-body: what arrived may still parse,
        # an envelope whose last attachment is cut short, say, and must not be stored as if
        # it were whole.
        raise BadRequest(
            f"request body ended after {total} of the {expected} bytes its Content-Length "
            "declares", outcome_reason="payload",
        )


def _limit(stream: _Stream, limit: int, reason: str) -> _Stream:
    total = 0
    for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(
                f"request body is larger than {limit} bytes after decompression",
                outcome_reason=reason,
            )
        yield chunk


def _guard(encoding: str, stream: _Stream) -> _Stream:
    try:
        yield from stream
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        raise _corrupt(encoding, str(exc)) from None


def _corrupt(encoding: str, why: str) -> BadRequest:
    return BadRequest(
        f"failed to read request body: invalid {encoding} data ({why})",
        outcome_reason="invalid_compression",
    )


def _slices(stream: _Stream, size: int) -> Iterator[memoryview]:
    for chunk in stream:
        view = memoryview(chunk)
        for start in range(0, len(view), size):
            yield view[start : start + size]


def _inflate(decompressor: zlib._Decompress, data: bytes | memoryview) -> _Stream:
    """Feed `data`, yielding at most `_CHUNK` bytes per call, until it is consumed."""
    while True:
        out = decompressor.decompress(data, _CHUNK)
        if out:
            yield out
        data = decompressor.unconsumed_tail
        # A full output chunk may leave output pending inside zlib even with no input left.
        if decompressor.eof or (not data and len(out) < _CHUNK):
            return


def _gunzip(stream: _Stream) -> _Stream:
    decompressor = zlib.decompressobj(_GZIP_WBITS)
    in_member = False
    for piece in _slices(stream, _CHUNK):
        data: bytes | memoryview = piece
        while data:
            in_member = True
            yield from _inflate(decompressor, data)
            if not decompressor.eof:
                break
            # Concatenated members are one valid gzip file (RFC 1952, section 2.2).
            data = decompressor.unused_data
            decompressor = zlib.decompressobj(_GZIP_WBITS)
            in_member = False
    if in_member:
        raise _corrupt("gzip", "unexpected end of stream")


def _looks_like_zlib(head: bytes) -> bool:
    # RFC 1950 header: compression method 8 and a header checksum divisible by 31.
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def _inflate_deflate(stream: _Stream) -> _Stream:
    # "deflate" means a zlib stream, but some clients send raw deflate: tell them apart by the
    # zlib header, which is what browsers do as well.
    pieces = _slices(stream, _CHUNK)
    head = b""
    for piece in pieces:
        head += piece
        if len(head) >= 2:
            break
    if not head:
        return
    wbits = zlib.MAX_WBITS if _looks_like_zlib(head) else -zlib.MAX_WBITS
    decompressor = zlib.decompressobj(wbits)
    yield from _inflate(decompressor, head)
    for piece in pieces:
        if decompressor.eof:
            break
        yield from _inflate(decompressor, piece)
    if not decompressor.eof:
        raise _corrupt("deflate", "unexpected end of stream")
    if decompressor.unused_data or next(pieces, None) is not None:
        raise _corrupt("deflate", "trailing data after the end of the stream")


def _unbrotli(stream: _Stream) -> _Stream:
    decompressor = brotli.Decompressor()
    started = False
    for piece in _slices(stream, _CHUNK):
        if decompressor.is_finished():
            raise _corrupt("br", "trailing data after the end of the stream")
        started = True
        out = decompressor.process(piece, output_buffer_limit=_CHUNK)
        # Input is taken at once but output comes out in capped chunks: drain it before
        # feeding more, as the brotli API requires.
        while not decompressor.is_finished():
            if out:
                yield out
            elif decompressor.can_accept_more_data():
                break
            else:
                raise _corrupt("br", "decoder stalled")
            out = decompressor.process(b"", output_buffer_limit=_CHUNK)
        else:
            if out:
                yield out
    if started and not decompressor.is_finished():
        raise _corrupt("br", "unexpected end of stream")


def _unzstd(stream: _Stream) -> _Stream:
    context = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    frame = None
    for chunk in stream:
        view = memoryview(chunk)
        for start in range(0, len(view), _ZSTD_SLICE):
            data: bytes | memoryview = view[start : start + _ZSTD_SLICE]
            while data:
                if frame is None:
                    frame = context.decompressobj()
                out = frame.decompress(data)
                if out:
                    yield out
                if not frame.eof:
                    break
                # Concatenated frames are one valid zstd stream.
                data = frame.unused_data
                frame = None
    if frame is not None:
        raise _corrupt("zstd", "unexpected end of stream")


_DECODERS: dict[str, Callable[[_Stream], _Stream]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate_deflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}
