"""The overview page (placeholder: filled by its own issue-7 work)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from rempart.web.deps import WebDeps

__all__ = ["routes"]


def routes(deps: WebDeps) -> list[BaseRoute]:
    return []
