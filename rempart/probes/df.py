"""``df``, ``df_inode`` and ``df_abs``: filesystem use, as Munin's core ``df``/``df_inode`` plugins.

Mounts come from ``root/proc/self/mounts``; sizes from ``os.statvfs(root/mountpoint)``. As in
Munin's plugin a filesystem's field is its *device* (``/dev/vda1`` → ``_dev_vda1``), or its
mountpoint for ``tmpfs``/``none``/``udev``/``simfs``; the label is the mountpoint; the percentage
is ``used / (used + available to users)`` (what ``df`` prints); warning 92, critical 98. A device
mounted twice (bind mounts) is counted once, at its first mountpoint.

Skipped by default (``DEFAULT_PSEUDO``): pseudo and in-memory filesystems, and remote ones
(NFS, CIFS, Ceph…) and ``autofs``, whose ``statvfs`` can hang or trigger a mount — like ``df -l``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from rempart.metrics.model import Field, Graph, Series
from rempart.munin.names import unique_fieldnames
from rempart.probes.base import read_text
from rempart.probes.systext import clean_label, matches_any

__all__ = [
    "DEFAULT_PSEUDO",
    "DfProbe",
    "FsUsage",
    "Mount",
    "df_series",
    "parse_mounts",
    "select_mounts",
    "statvfs_usage",
]

DEFAULT_PSEUDO: Final[tuple[str, ...]] = (
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rootfs",
    "rpc_pipefs",
    "securityfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "iso9660",
    "udf",
    "romfs",
    "none",
    "unknown",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "fuse.sshfs",
    "9p",
    "afs",
)
_BY_MOUNTPOINT: Final = frozenset({"tmpfs", "none", "udev", "simfs"})
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of ``/proc/self/mounts``."""

    device: str
    mountpoint: str
    fstype: str


@dataclass(frozen=True, slots=True)
class FsUsage:
    """What ``statvfs`` says, in bytes and inodes."""

    size: int
    free: int  # free for root (f_bfree)
    avail: int  # free for users (f_bavail)
    files: int
    ffree: int
    favail: int


def parse_mounts(text: str) -> list[Mount]:
    """The mounts listed in ``/proc/self/mounts`` (octal escapes such as ``\\040`` decoded)."""
    out: list[Mount] = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[1].startswith("/"):
            device, mountpoint = (_OCTAL.sub(lambda m: chr(int(m[1], 8)), w) for w in words[:2])
            out.append(Mount(device, mountpoint, words[2]))
    return out


def select_mounts(
    mounts: Sequence[Mount], exclude_types: Sequence[str], exclude: Sequence[str]
) -> dict[str, Mount]:
    """``{munin entity name: mount}``: pseudo types and excluded mountpoints left out, once each."""
    out: dict[str, Mount] = {}
    for mount in mounts:
        if mount.fstype in exclude_types or matches_any(mount.mountpoint, exclude):
            continue
        key = mount.mountpoint if mount.device in _BY_MOUNTPOINT else mount.device
        out.setdefault(key, mount)
    return out


def _percent(used: int, avail: int) -> float:
    return 100.0 * used / (used + avail) if used > 0 else 0.0


def _pct_field(name: str, label: str, info: str) -> Field:
    return Field(name, label, warning="92", critical="98", info=info, unit="percent")


def _pct_graph(name: str, title: str, fields: tuple[Field, ...]) -> Graph:
    return Graph(
        name, title, "disk", fields, vlabel="%", args="--upper-limit 100 -l 0", scale=False
    )


def df_series(chosen: Mapping[str, Mount], usage: Mapping[str, FsUsage]) -> tuple[Series, ...]:
    """``df``, ``df_inode`` and ``df_abs`` for the chosen mounts whose usage is known."""
    known = {k: m for k, m in chosen.items() if k in usage and usage[k].size > 0}
    if not known:
        return ()
    names = unique_fieldnames(known)
    pct: list[Field] = []
    abs_fields: list[Field] = []
    pct_values: dict[str, float | None] = {}
    abs_values: dict[str, float | None] = {}
    inode_fields: list[Field] = []
    inode_values: dict[str, float | None] = {}
    for key, mount in known.items():
        u, f, label = usage[key], names[key], clean_label(mount.mountpoint)
        used = u.size - u.free
        pct.append(_pct_field(f, label, f"{mount.device} ({mount.fstype})"))
        pct_values[f] = _percent(used, u.avail)
        abs_fields.append(Field(f, label, min=0, draw="LINE1", unit="bytes"))
        abs_fields.append(Field(f"{f}_size", f"{label} size", min=0, graph=False, unit="bytes"))
        abs_values[f], abs_values[f"{f}_size"] = float(used), float(u.size)
        if u.files > 0:
            inode_fields.append(_pct_field(f, label, f"Inodes of {mount.device}"))
            inode_values[f] = _percent(u.files - u.ffree, u.favail)
    out = [
        Series(_pct_graph("df", "Disk usage in percent", tuple(pct)), MappingProxyType(pct_values))
    ]
    if inode_fields:
        graph = _pct_graph("df_inode", "Inode usage in percent", tuple(inode_fields))
        out.append(Series(graph, MappingProxyType(inode_values)))
    abs_graph = Graph(
        "df_abs",
        "Disk usage in bytes",
        "disk",
        tuple(abs_fields),
        vlabel="bytes",
        args="--base 1024 -l 0",
        info="Space used on each filesystem (the size is stored, not drawn).",
    )
    out.append(Series(abs_graph, MappingProxyType(abs_values)))
    return tuple(out)


def statvfs_usage(path: Path) -> FsUsage:
    """``os.statvfs(path)`` as an :class:`FsUsage` (raises OSError)."""
    st = os.statvfs(path)
    unit = st.f_frsize or st.f_bsize
    return FsUsage(
        st.f_blocks * unit,
        st.f_bfree * unit,
        st.f_bavail * unit,
        st.f_files,
        st.f_ffree,
        st.f_favail,
    )


class DfProbe:
    """Filesystem use of the local, real filesystems mounted under ``root``."""

    name = "df"
    background = False
    interval = 0.0

    def __init__(
        self,
        *,
        root: Path = Path("/"),
        exclude_types: tuple[str, ...] = DEFAULT_PSEUDO,
        exclude: tuple[str, ...] = (),
        statvfs: Callable[[Path], FsUsage] = statvfs_usage,
    ) -> None:
        self._root = root
        self._exclude_types = exclude_types
        self._exclude = exclude
        self._statvfs = statvfs

    def collect(self) -> tuple[Series, ...]:
        mounts = parse_mounts(read_text(self._root / "proc/self/mounts"))
        chosen = select_mounts(mounts, self._exclude_types, self._exclude)
        usage: dict[str, FsUsage] = {}
        for key, mount in chosen.items():
            try:
                usage[key] = self._statvfs(self._root / mount.mountpoint.lstrip("/"))
            except OSError:  # unmounted meanwhile, or not readable: left out this time
                continue
        return df_series(chosen, usage)
