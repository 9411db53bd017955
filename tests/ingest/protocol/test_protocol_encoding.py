import functools
import gzip
import io
import json
import random
import resource
import tracemalloc
import zlib

import brotli
import pytest
import zstandard

from ingest.protocol.encoding import decode_body, parse_content_encoding, stream_chunks
from ingest.protocol.errors import IngestError

BIG = 10**9
MiB = 1024 * 1024
GiB = 1024 * MiB


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


COMPRESSORS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": functools.partial(brotli.compress, quality=5),
    "zstd": zstd,
}

SAMPLE = json.dumps(
    [{"id": i, "message": f"line {i}", "blob": "x" * (i % 50)} for i in range(3000)]
).encode()


def split(data: bytes, sizes: int | None):
    """The body as the HTTP layer might hand it over: varied chunk sizes."""
    if sizes is None:
        return [data]
    rng = random.Random(sizes)
    out, position = [], 0
    while position < len(data):
        step = rng.randint(1, sizes)
        out.append(data[position : position + step])
        position += step
    return out


def decode(chunks, encoding, *, max_compressed=BIG, max_decompressed=BIG):
    return decode_body(
        chunks, encoding, max_compressed=max_compressed, max_decompressed=max_decompressed
    )


@pytest.mark.parametrize("encoding", sorted(COMPRESSORS))
@pytest.mark.parametrize("chunk_size", [None, 1, 7, 4096])
@pytest.mark.parametrize("data", [b"", b"x", SAMPLE], ids=["empty", "one-byte", "json"])
def test_round_trip(encoding, chunk_size, data):
    compressed = COMPRESSORS[encoding](data)
    assert decode(split(compressed, chunk_size), encoding) == data


@pytest.mark.parametrize("value", [None, "", "identity", "IDENTITY", "UTF-8", "utf-8", " , "])
def test_identity_and_ignored_values(value):
    assert decode([b"ab", b"", b"cd"], value) == b"abcd"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GZip", ["gzip"]),
        ("gzip, br", ["gzip", "br"]),
        ("identity,deflate , zstd", ["deflate", "zstd"]),
        ("x-gzip", ["x-gzip"]),
    ],
)
def test_parse_content_encoding(value, expected):
    assert parse_content_encoding(value) == expected


@pytest.mark.parametrize(
    ("value", "layers"),
    [
        ("gzip, br", [gzip.compress, COMPRESSORS["br"]]),
        ("deflate,zstd", [zlib.compress, zstd]),
        ("br, identity, gzip", [COMPRESSORS["br"], gzip.compress]),
    ],
)
def test_stacked_encodings_decode_in_reverse(value, layers):
    body = SAMPLE
    for compress in layers:
        body = compress(body)
    assert decode(split(body, 1000), value) == SAMPLE


def test_multi_member_gzip():
    body = gzip.compress(b"first,") + gzip.compress(b"") + gzip.compress(b"second")
    assert decode(split(body, 5), "gzip") == b"first,second"


def test_multi_frame_zstd():
    body = zstd(b"first,") + zstd(b"second")
    assert decode(split(body, 3), "zstd") == b"first,second"


@pytest.mark.parametrize("chunk_size", [None, 1])
def test_raw_deflate_fallback(chunk_size):
    assert decode(split(raw_deflate(SAMPLE), chunk_size), "deflate") == SAMPLE


@pytest.mark.parametrize("value", ["compress", "lzma", "gzip, snappy", "br;q=1"])
def test_unknown_encoding_is_400(value):
    with pytest.raises(IngestError) as caught:
        decode([gzip.compress(b"{}")], value)
    assert caught.value.status == 400
    assert caught.value.detail.startswith("unsupported content encoding")


def test_too_many_layers_is_400():
    with pytest.raises(IngestError) as caught:
        decode([b"x"], "gzip, gzip, gzip, gzip")
    assert caught.value.status == 400


def corruptions(compressed: bytes):
    return {
        "truncated-tail": compressed[:-4],
        "truncated-half": compressed[: len(compressed) // 2],
        "trailing-junk": compressed + b"junk",
        "garbage-header": b"\x00\x01\x02\x03" + compressed[4:],
        "not-compressed": b'{"message": "plain json"}',
    }


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize(
    "corruption",
    ["truncated-tail", "truncated-half", "trailing-junk", "garbage-header", "not-compressed"],
)
def test_corrupt_body_is_400(encoding, corruption):
    body = corruptions(COMPRESSORS[encoding](SAMPLE))[corruption]
    with pytest.raises(IngestError) as caught:
        decode(split(body, 100), encoding)
    assert caught.value.status == 400
    assert caught.value.detail.startswith("failed to read request body: ")
    assert caught.value.outcome_reason == "invalid_compression"


def test_corrupt_inner_layer_is_400():
    body = gzip.compress(b"this is not brotli")
    with pytest.raises(IngestError) as caught:
        decode([body], "br, gzip")
    assert caught.value.outcome_reason == "invalid_compression"


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_compressed_limit_counts_bytes_as_they_arrive(encoding):
    consumed = []
    rng = random.Random(0)
    compressor = zlib.compressobj(wbits=31)

    def endless():
        while True:
            data = rng.randbytes(1000)
            chunk = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
            chunk = chunk if encoding else data
            consumed.append(len(chunk))
            yield chunk

    with pytest.raises(IngestError) as caught:
        decode(endless(), encoding, max_compressed=10_000)
    assert caught.value.status == 413
    assert sum(consumed) <= 12_000


@pytest.mark.parametrize("encoding", [None, "gzip", "br", "zstd", "deflate"])
@pytest.mark.parametrize(
    ("size", "max_decompressed", "ok"), [(1000, 1000, True), (1001, 1000, False)]
)
def test_decompressed_limit_boundary(encoding, size, max_decompressed, ok):
    data = bytes(size)
    body = COMPRESSORS[encoding](data) if encoding else data
    if ok:
        assert decode([body], encoding, max_decompressed=max_decompressed) == data
    else:
        with pytest.raises(IngestError) as caught:
            decode([body], encoding, max_decompressed=max_decompressed)
        assert caught.value.status == 413
        assert caught.value.outcome_reason == "too_large:envelope"


def test_stream_chunks_reads_bounded_pieces():
    body = gzip.compress(SAMPLE)
    chunks = list(stream_chunks(io.BytesIO(body), 1000))
    assert max(map(len, chunks)) == 1000
    assert decode(stream_chunks(io.BytesIO(body)), "gzip") == SAMPLE


def test_identity_body_is_bound_by_both_limits():
    with pytest.raises(IngestError) as caught:
        decode([b"x" * 101], None, max_compressed=100)
    assert caught.value.status == 413


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate", "br", "zstd"])
def test_a_body_shorter_than_its_content_length_is_400(encoding):
    """The client went away mid-body: what arrived may even decode, but it is not the body."""
    body = COMPRESSORS[encoding](SAMPLE) if encoding else SAMPLE
    whole = decode_body(split(body, 100), encoding, max_compressed=BIG, max_decompressed=BIG,
                        content_length=len(body))
    assert whole == SAMPLE
    with pytest.raises(IngestError) as caught:
        decode_body(split(body[:-10], 100), encoding, max_compressed=BIG, max_decompressed=BIG,
                    content_length=len(body))
    assert caught.value.status == 400
    assert f"{len(body) - 10} of the {len(body)} bytes" in caught.value.detail
    assert caught.value.outcome_reason == "payload"


# --- compression bombs: 1 GiB of zeros, built without ever holding 1 GiB ------------------


def _fixed_huffman_zeros(groups: int) -> bytes:
    """A raw deflate block of 259 + 2064 * groups zero bytes.

    One fixed-Huffman block: a literal 0, then (length 258, distance 1) copies, 13 bits each.
    Eight copies are exactly 13 bytes, so the body is one repeated pattern.
    """
    out, state = bytearray(), [0, 0]

    def put(value, nbits):
        state[0] |= value << state[1]
        state[1] += nbits
        while state[1] >= 8:
            out.append(state[0] & 0xFF)
            state[0] >>= 8
            state[1] -= 8

    def code(value, nbits):  # Huffman codes go most significant bit first
        put(int(format(value, f"0{nbits}b")[::-1], 2), nbits)

    def copy_258_back_1():
        code(0xC0 + 5, 8)  # length code 285
        code(0, 5)  # distance code 0

    put(1, 1)  # final block
    put(1, 2)  # fixed Huffman
    code(0x30, 8)  # literal 0
    copy_258_back_1()
    prefix = bytes(out)
    out.clear()
    for _ in range(8):
        copy_258_back_1()
    pattern = bytes(out)
    out.clear()
    code(0, 7)  # end of block
    put(0, 8 - state[1])
    return prefix + pattern * groups + bytes(out)


GROUPS = GiB // 2064


@functools.cache
def bomb(kind: str) -> bytes:
    size = 259 + 2064 * GROUPS
    if kind == "zlib":
        adler = (size % 65521) << 16 | 1  # Adler-32 of n zero bytes
        return b"\x78\x01" + _fixed_huffman_zeros(GROUPS) + adler.to_bytes(4, "big")
    if kind == "raw-deflate":
        return _fixed_huffman_zeros(GROUPS)
    if kind == "gzip-single":
        # The CRC is never reached: decoding must stop about 1 GiB earlier.
        trailer = (0).to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + _fixed_huffman_zeros(GROUPS) + trailer
    zeros = bytes(MiB)
    if kind == "gzip-members":
        return gzip.compress(bytes(16 * MiB)) * 64
    if kind == "br":
        compressor = brotli.Compressor(quality=1)
        parts = [compressor.process(zeros) for _ in range(1024)]
        return b"".join(parts) + compressor.finish()
    if kind == "zstd":
        compressor = zstandard.ZstdCompressor(level=1).compressobj()
        parts = [compressor.compress(zeros) for _ in range(1024)]
        return b"".join(parts) + compressor.flush()
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "encoding"),
    [
        ("gzip-members", "gzip"),
        ("gzip-single", "gzip"),
        ("zlib", "deflate"),
        ("raw-deflate", "deflate"),
        ("br", "br"),
        ("zstd", "zstd"),
    ],
)
def test_bomb_is_rejected_with_bounded_memory(kind, encoding):
    body = bomb(kind)
    consumed = [0]

    def arriving():
        for start in range(0, len(body), 4096):
            chunk = body[start : start + 4096]
            consumed[0] += len(chunk)
            yield chunk

    limit = 4 * MiB
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as caught:
            decode(arriving(), encoding, max_compressed=64 * MiB, max_decompressed=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024

    assert caught.value.status == 413
    assert caught.value.outcome_reason == "too_large:envelope"
    # Python-level allocations: the kept output (4 MiB) plus a few chunks in flight.
    assert peak < limit + 4 * MiB
    # C-level buffers too (ru_maxrss is in KiB on Linux): nowhere near the 1 GiB inside.
    assert rss_growth < 64 * MiB
    # It stopped reading soon after the limit, not at the end of the body.
    assert consumed[0] < len(body) // 4
