"""The machine's time zone as an IANA zone (with its DST rules), not a fixed offset."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["local_zone", "zone_name_from_link"]


def zone_name_from_link(target: str) -> str | None:
    """``/usr/share/zoneinfo/Europe/Paris`` -> ``Europe/Paris`` (pure)."""
    marker = "zoneinfo/"
    index = target.rfind(marker)
    if index < 0:
        return None
    name = target[index + len(marker) :]
    return name.removeprefix("posix/").removeprefix("right/") or None


def local_zone(environ: Mapping[str, str] | None = None, root: Path = Path("/")) -> tzinfo:
    """``TZ`` when it names a zone, else /etc/localtime, else /etc/timezone, else UTC."""
    env = os.environ if environ is None else environ
    candidates = [env.get("TZ", "").lstrip(":")]
    localtime = root / "etc/localtime"
    with contextlib.suppress(OSError):
        candidates.append(zone_name_from_link(os.readlink(localtime)) or "")
    with contextlib.suppress(OSError):
        candidates.append((root / "etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    try:
        with localtime.open("rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError):
        return UTC
