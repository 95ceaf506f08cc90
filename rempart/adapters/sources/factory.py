"""The source a ``[[jails.NAME.sources]]`` entry of the configuration describes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from rempart.adapters.sources.base import LineSource
from rempart.adapters.sources.files import FileFollower, FollowOptions, StartAt
from rempart.adapters.sources.journal import JournalSource
from rempart.adapters.sources.stdin import StdinSource
from rempart.clock import Clock
from rempart.config.schema import SourceConfig
from rempart.model import FilePosition, JournalCursor, SavedPosition

__all__ = ["open_source"]


def open_source(
    config: SourceConfig,
    *,
    saved: SavedPosition | None = None,
    clock: Clock | None = None,
    start: StartAt = StartAt.END,
    since: float | None = None,
    default_matches: Sequence[str] = (),
    stdin: BinaryIO | None = None,
) -> LineSource:
    """A source for ``config``, resuming at ``saved`` (a position of the wrong kind is
    ignored). A file without saved position starts at ``start``; the journal without a
    cursor starts ``since`` that time, else with new entries; its matches are the
    configured ones, else ``default_matches`` (the filter's ``journalmatch``).
    Raises SourceError."""
    name = config.name or config.kind
    if config.kind == "file":
        if config.path is None:
            raise ValueError("a file source needs a path")
        position = saved if isinstance(saved, FilePosition) else None
        options = FollowOptions(start=start)
        return FileFollower(config.path, name=name, saved=position, clock=clock, options=options)
    if config.kind == "journal":
        return JournalSource(
            name=name,
            matches=config.match or tuple(default_matches),
            cursor=saved if isinstance(saved, JournalCursor) else None,
            since=since,
            clock=clock,
        )
    return StdinSource(stdin, name=name, clock=clock)
