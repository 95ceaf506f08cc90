"""LineSplitter: any way of cutting a byte stream into chunks gives the same lines."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.adapters.sources.splitter import LineSplitter, decode


def reference(data: bytes, max_line: int) -> tuple[list[tuple[str, bool]], bytes]:
    """Lines of ``data`` the obvious way: (text, truncated) and the partial rest."""
    *complete, rest = data.split(b"\n")
    out = []
    for line in complete:
        raw = line.removesuffix(b"\r")
        out.append((decode(raw[:max_line]), len(raw) > max_line))
    return out, rest


def feed_all(splitter: LineSplitter, chunks: list[bytes]) -> list[tuple[str, bool]]:
    out = []
    for chunk in chunks:
        lines = splitter.feed(chunk)
        cut = set(lines.truncated)
        out.extend((text, i in cut) for i, text in enumerate(lines.texts))
    return out


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def test_endings_partial_and_invalid_utf8() -> None:
    splitter = LineSplitter()
    first = splitter.feed(b"one\r\ntwo\nthr")
    assert first.texts == ["one", "two"]
    assert splitter.pending_bytes == 3
    assert splitter.feed(b"ee \xff\xfe\r").texts == []
    second = splitter.feed(b"\n\n")
    assert second.texts == ["three \\xff\\xfe", ""]
    assert splitter.pending_bytes == 0


def test_only_one_carriage_return_is_an_ending() -> None:
    assert LineSplitter().feed(b"a\r\r\nb\rc\n").texts == ["a\r", "b\rc"]


def test_long_line_is_cut_at_its_newline_and_memory_stays_bounded() -> None:
    splitter = LineSplitter(max_line=10)
    assert splitter.feed(b"x" * 7).texts == []
    for _ in range(1000):
        assert splitter.feed(b"y" * 1000).texts == []
    assert len(splitter._pending) <= 11
    assert splitter.pending_bytes == 1_000_007
    lines = splitter.feed(b"z\nnext\n")
    assert lines.texts == ["xxxxxxxyyy", "next"]
    assert lines.truncated == [0]


def test_line_of_exactly_max_line_with_crlf_is_whole() -> None:
    lines = LineSplitter(max_line=4).feed(b"abcd\r\nabcde\r\n")
    assert lines.texts == ["abcd", "abcd"]
    assert lines.truncated == [1]


def test_flush_delivers_the_partial_line() -> None:
    splitter = LineSplitter()
    splitter.feed(b"a\nb\r")
    assert splitter.flush().texts == ["b"]
    assert splitter.flush().texts == []


def test_skip_first_drops_the_line_we_started_inside() -> None:
    splitter = LineSplitter(skip_first=True)
    assert splitter.feed(b"tail of a line\nwhole\n").texts == ["whole"]


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from([b"a", b"\xc3\xa9", b"\xff", b"\r", b"\n", b"\r\n", b"long" * 5, b"1"]),
        max_size=60,
    ),
    st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    st.integers(min_value=1, max_value=12),
)
def test_any_chunking_gives_the_reference_lines(
    pieces: list[bytes], points: list[int], max_line: int
) -> None:
    data = b"".join(pieces)
    expected, rest = reference(data, max_line)
    splitter = LineSplitter(max_line)
    assert feed_all(splitter, cut(data, points)) == expected
    assert splitter.pending_bytes == len(rest)
