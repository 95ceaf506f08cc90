"""What every log source offers: a name, batches of lines, and a position to save.

The three sources (:class:`~rempart.adapters.sources.files.FileFollower`,
:class:`~rempart.adapters.sources.journal.JournalSource`,
:class:`~rempart.adapters.sources.stdin.StdinSource`) satisfy :class:`LineSource`
structurally. The agent (a service) drives them:

1. build the source with the position saved last time (see
   :mod:`rempart.store.positions`), or none on a first start;
2. ``async for batch in source.follow()``: each batch is a non-empty list of
   :class:`~rempart.model.LogLine`, in the order the lines were written, each line
   exactly once (files: across rotations and restarts; journal: after the cursor);
   ``arrival`` comes from the injected clock, ``timestamp`` is set when the source
   itself dates the line (the journal);
3. after handling a batch, ``source.position()`` is where a restart must resume to
   deliver the next line and not the ones handled: save it (periodically and at stop);
4. ``await source.aclose()`` (also done when the ``follow()`` iterator is closed).

Errors are :class:`~rempart.errors.SourceError` with a message naming the source and
the fix; a source never raises for a bad line (it logs and skips, or keeps it whole).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from rempart.model import LogLine, SavedPosition

__all__ = ["LineSource"]


@runtime_checkable
class LineSource(Protocol):
    """A source of log lines; see the module documentation."""

    name: str

    def follow(self) -> AsyncIterator[list[LogLine]]:
        """Batches of lines, in order, each line once."""
        ...

    def position(self) -> SavedPosition | None:
        """Where to resume after the lines delivered so far (None: nothing to save)."""
        ...

    async def aclose(self) -> None:
        """Release what the source holds (files, processes)."""
        ...
