"""What a jail decides with: counting rule, ban length, escalation, addresses never banned."""

from __future__ import annotations

from dataclasses import dataclass, field

from rempart.addresses import AddressSet, parse_network

__all__ = ["ALWAYS_IGNORED", "Escalation", "JailPolicy"]

# Loopback is never banned, whatever the configuration says.
ALWAYS_IGNORED = (parse_network("127.0.0.0/8"), parse_network("::1/128"))


@dataclass(frozen=True, slots=True)
class Escalation:
    """Repeat offenders: the n-th ban of an address within ``window`` (across every jail)
    lasts ``bantime * factor ** (n - 1)``, never more than ``max``. ``factor = 1``: off."""

    factor: float = 1.0
    max: float = 604800.0
    window: float = 604800.0

    def bantime(self, base: float, offence: int) -> float:
        if self.factor <= 1.0 or offence <= 1:
            return base
        return min(base * self.factor ** (offence - 1), max(self.max, base))


@dataclass(frozen=True, slots=True)
class JailPolicy:
    """The rule of one jail: ``maxretry`` failures within ``findtime`` seconds make a ban of
    ``bantime`` seconds (escalated for repeat offenders); ``ignore`` is never banned.

    IPv6 failures are counted and banned per /``ipv6_prefix`` network, so an attacker who
    rotates addresses inside a /64 is counted as one when ``ipv6_prefix = 64``.
    """

    name: str
    maxretry: int = 5
    findtime: float = 600.0
    bantime: float = 900.0
    escalation: Escalation = field(default_factory=Escalation)
    ignore: AddressSet = field(default_factory=lambda: AddressSet(ALWAYS_IGNORED))
    ipv6_prefix: int = 128
    evidence_lines: int = 20

    def __post_init__(self) -> None:
        if self.maxretry < 1:
            raise ValueError("maxretry must be >= 1")
        if self.findtime <= 0 or self.bantime <= 0:
            raise ValueError("findtime and bantime must be > 0")
