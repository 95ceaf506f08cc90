"""Comparing two sets of ban decisions (``rempart replay --compare``).

Two bans are "the same ban" when they are for the same jail and target and their
periods overlap; the same ban with another start or end is reported as changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rempart.addresses import Network
from rempart.model import Ban

__all__ = ["BanDiff", "diff_bans"]


@dataclass(frozen=True, slots=True)
class BanDiff:
    only_a: tuple[Ban, ...]
    only_b: tuple[Ban, ...]
    changed: tuple[tuple[Ban, Ban], ...]
    same: int

    @property
    def identical(self) -> bool:
        return not (self.only_a or self.only_b or self.changed)


def _by_target(bans: Iterable[Ban]) -> dict[tuple[str, Network], list[Ban]]:
    out: dict[tuple[str, Network], list[Ban]] = {}
    for ban in bans:
        out.setdefault((ban.jail, ban.target), []).append(ban)
    for group in out.values():
        group.sort(key=lambda b: b.start)
    return out


def diff_bans(a: Iterable[Ban], b: Iterable[Ban]) -> BanDiff:
    """What ``a`` bans that ``b`` does not, the reverse, and bans both make differently."""
    only_a: list[Ban] = []
    only_b: list[Ban] = []
    changed: list[tuple[Ban, Ban]] = []
    same = 0
    groups_a, groups_b = _by_target(a), _by_target(b)
    for key in sorted(groups_a.keys() | groups_b.keys(), key=lambda k: (k[0], str(k[1]))):
        left, right = list(groups_a.get(key, ())), list(groups_b.get(key, ()))
        for ban in left:
            match = next((x for x in right if x.start < ban.end and ban.start < x.end), None)
            if match is None:
                only_a.append(ban)
                continue
            right.remove(match)
            if (match.start, match.end) == (ban.start, ban.end):
                same += 1
            else:
                changed.append((ban, match))
        only_b.extend(right)
    return BanDiff(tuple(only_a), tuple(only_b), tuple(changed), same)
