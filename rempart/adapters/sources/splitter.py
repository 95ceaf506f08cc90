"""Bytes in, lines out: splitting a byte stream into decoded lines, with bounded memory.

A :class:`LineSplitter` is fed chunks as they are read. It delivers each complete line
once its ``\\n`` arrives, without the ``\\n`` or ``\\r\\n`` ending, decoded as UTF-8 with
``backslashreplace`` (an invalid byte shows as ``\\xff``: nothing is lost for display,
nothing raises). A partial last line is kept until its newline arrives.

A line longer than ``max_line`` bytes is delivered cut to ``max_line`` bytes and flagged
as truncated, when its newline arrives; the bytes beyond the limit are counted but not
kept, so memory stays bounded whatever is written. Delivering it only at its newline
keeps the saved offset on a line boundary: a restart never delivers half a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_MAX_LINE", "LineSplitter", "Lines", "decode"]

DEFAULT_MAX_LINE = 64 * 1024


def decode(raw: bytes) -> str:
    """UTF-8, invalid bytes shown as ``\\xNN``: never raises, never drops a byte."""
    return raw.decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class Lines:
    """The lines one chunk completed: ``texts`` in order, and the indexes (into
    ``texts``) of those that were cut to the length limit."""

    texts: list[str] = field(default_factory=list)
    truncated: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


class LineSplitter:
    """Splits fed chunks into lines; see the module documentation."""

    __slots__ = ("_overflow", "_pending", "_skip_first", "max_line")

    def __init__(self, max_line: int = DEFAULT_MAX_LINE, *, skip_first: bool = False) -> None:
        if max_line < 1:
            raise ValueError("max_line must be positive")
        self.max_line = max_line
        self._pending = b""  # start of the current line, at most max_line + 1 bytes
        self._overflow = 0  # bytes of the current line beyond what _pending keeps
        self._skip_first = skip_first  # drop the first line completed (we started mid-line)

    @property
    def pending_bytes(self) -> int:
        """Bytes fed since the last newline: not delivered yet."""
        return len(self._pending) + self._overflow

    def feed(self, chunk: bytes) -> Lines:
        """The lines ``chunk`` completes (possibly none)."""
        out = Lines()
        last = chunk.rfind(b"\n")
        if last < 0:
            self._hold(chunk)
            return out
        start = 0
        if self._pending or self._overflow or self._skip_first:
            first = chunk.find(b"\n")
            self._hold(chunk[:first])
            self._complete(out)
            start = first + 1
        if start <= last:
            self._split(chunk[start:last], out)
        self._hold(chunk[last + 1 :])
        return out

    def flush(self) -> Lines:
        """Deliver the partial last line, if any, as a line (the stream ended)."""
        out = Lines()
        if self._pending or self._overflow:
            self._complete(out)
        self._skip_first = False
        return out

    def _hold(self, data: bytes) -> None:
        if not data:
            return
        keep = self.max_line + 1 - len(self._pending)
        if len(data) <= keep:
            self._pending += data
        else:
            self._pending += data[: max(keep, 0)]
            self._overflow += len(data) - max(keep, 0)

    def _complete(self, out: Lines) -> None:
        raw, overflow = self._pending, self._overflow
        self._pending, self._overflow = b"", 0
        if self._skip_first:
            self._skip_first = False
            return
        if not overflow and raw.endswith(b"\r"):
            raw = raw[:-1]
        if overflow or len(raw) > self.max_line:
            out.truncated.append(len(out.texts))
            raw = raw[: self.max_line]
        out.texts.append(decode(raw))

    def _split(self, block: bytes, out: Lines) -> None:
        """Append the lines of ``block`` (complete lines, the last one without its ``\\n``)."""
        text = decode(block)  # "\n" never occurs inside a UTF-8 sequence: same as per line
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if text.endswith("\r"):
                text = text[:-1]
        lines = text.split("\n")
        # A line has at most 4 bytes per character: only a line of more than max_line / 4
        # characters may be too long, and then the block is split again, in bytes.
        if len(block) > self.max_line and 4 * max(map(len, lines)) > self.max_line:
            self._split_exactly(block, out)
            return
        out.texts.extend(lines)

    def _split_exactly(self, block: bytes, out: Lines) -> None:
        for raw in block.split(b"\n"):
            cut = raw[:-1] if raw.endswith(b"\r") else raw
            if len(cut) > self.max_line:
                out.truncated.append(len(out.texts))
                cut = cut[: self.max_line]
            out.texts.append(decode(cut))
