"""The transport seam: something that runs one nftables JSON batch and returns its output.

Two runners implement it: :class:`~rempart.adapters.firewall.libnftables.LibNftables`
(in-process, through ctypes) and :class:`~rempart.adapters.firewall.command.NftCommand`
(``nft -j -f -``). Both translate nftables' errors with :func:`nft_error`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from rempart.errors import FirewallError

__all__ = ["NftRunner", "decode_output", "encode_batch", "nft_error"]

_PERMISSION = ("Operation not permitted", "Permission denied")
_UNSUPPORTED = ("Protocol not supported", "Address family not supported")


class NftRunner(Protocol):
    """Runs one batch of nftables JSON commands as one transaction."""

    @property
    def detail(self) -> str:
        """How it reaches nftables, for people (``libnftables``, ``nft command: …``)."""
        ...

    def run(self, commands: Sequence[dict[str, Any]], *, terse: bool = False) -> list[Any]:
        """The ``nftables`` list of the output ([] when there is none); ``terse``
        leaves set elements out of listings. Raises FirewallError."""
        ...

    def run_text(self, text: str) -> None:
        """Run ``text``, a batch in nft's own language, as one transaction (for bulk
        loads: leaner than JSON in libnftables). Raises FirewallError."""
        ...

    def close(self) -> None: ...


def encode_batch(commands: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"nftables": list(commands)}, separators=(",", ":"))


def decode_output(text: str, action: str) -> list[Any]:
    """The ``nftables`` list of nftables' JSON output (empty text: [])."""
    if not text.strip():
        return []
    try:
        data = json.loads(text)
        items = data["nftables"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FirewallError(
            "firewall.bad_output", reason=f"{action}: {exc}", table="rempart"
        ) from exc
    if not isinstance(items, list):
        raise FirewallError("firewall.bad_output", reason=f"{action}: not a list", table="rempart")
    return items


def nft_error(action: str, text: str) -> FirewallError:
    """The FirewallError for nftables' error ``text``, with the fix that fits it."""
    error = " ".join(text.split())[:2000] or "no message"
    if any(marker in error for marker in _PERMISSION):
        return FirewallError("firewall.permission", error=error)
    if any(marker in error for marker in _UNSUPPORTED):
        return FirewallError("firewall.unsupported", error=error)
    return FirewallError("firewall.refused", action=action, error=error)
