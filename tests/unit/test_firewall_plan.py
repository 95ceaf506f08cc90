"""reconcile(): the operations that turn what the kernel holds into what is wanted."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rempart.addresses import Network
from rempart.guard.firewall import (
    AddElement,
    BanOp,
    DeleteElement,
    Element,
    FirewallLayout,
    JailRule,
    reconcile,
)

SSHD = JailRule("sshd", ((22, 22), (2200, 2222)), "tcp")


def el(target: str, expires: float | None = 1000.0, jail: str = "sshd") -> Element:
    return Element(jail, ip_network(target), expires)


def apply(actual: list[Element], ops: list[BanOp]) -> dict[tuple[str, Network], Element]:
    """A model of the kernel: the last op on an element wins."""
    state = {e.key: e for e in actual}
    for op in ops:
        if isinstance(op, AddElement):
            state[op.element.key] = op.element
        else:
            state.pop(op.element.key, None)
    return state


def test_nothing_to_do_when_equal_within_tolerance() -> None:
    actual = [el("192.0.2.1/32", 1003.0), el("2001:db8::/64", None, "web")]
    wanted = [el("192.0.2.1/32", 1000.0), el("2001:db8::/64", None, "web")]
    assert reconcile(wanted, actual) == []


def test_adds_missing_deletes_unwanted_recreates_far_expiry() -> None:
    actual = [el("192.0.2.1/32", 1000.0), el("192.0.2.2/32"), el("192.0.2.3/32", 1000.0)]
    wanted = [el("192.0.2.1/32", 1000.0), el("192.0.2.3/32", 2000.0), el("192.0.2.4/32")]
    assert reconcile(wanted, actual) == [
        DeleteElement(el("192.0.2.2/32")),
        AddElement(el("192.0.2.3/32", 2000.0)),
        AddElement(el("192.0.2.4/32")),
    ]


def test_timeout_versus_none_is_a_change() -> None:
    assert reconcile([el("192.0.2.1/32", None)], [el("192.0.2.1/32", 1000.0)]) == [
        AddElement(el("192.0.2.1/32", None))
    ]
    assert reconcile([el("192.0.2.1/32", 1000.0)], [el("192.0.2.1/32", None)]) == [
        AddElement(el("192.0.2.1/32", 1000.0))
    ]


def test_same_target_in_two_jails_is_two_elements() -> None:
    ops = reconcile([el("192.0.2.1/32", jail="a")], [el("192.0.2.1/32", jail="b")])
    assert ops == [
        DeleteElement(el("192.0.2.1/32", jail="b")),
        AddElement(el("192.0.2.1/32", jail="a")),
    ]


def test_wanted_twice_keeps_the_later_expiry() -> None:
    wanted = [el("192.0.2.1/32", 1000.0), el("192.0.2.1/32", 3000.0), el("192.0.2.1/32", 2000.0)]
    assert reconcile(wanted, []) == [AddElement(el("192.0.2.1/32", 3000.0))]
    assert reconcile([el("192.0.2.1/32", 1.0), el("192.0.2.1/32", None)], []) == [
        AddElement(el("192.0.2.1/32", None))
    ]


def test_tolerance() -> None:
    assert reconcile([el("192.0.2.1/32", 1000.0)], [el("192.0.2.1/32", 1010.0)], tolerance=9.0)
    assert (
        reconcile([el("192.0.2.1/32", 1000.0)], [el("192.0.2.1/32", 1010.0)], tolerance=10.0) == []
    )


def test_layout_names() -> None:
    layout = FirewallLayout((SSHD, JailRule("web-1", None, "tcp+udp", 64)))
    assert layout.set_name("sshd", 4) == "sshd_v4"
    assert layout.set_name("", 6) == "allow_v6"
    assert layout.allow_sets == ("allow_v4", "allow_v6")
    assert layout.set_names() == [
        "allow_v4", "allow_v6", "sshd_v4", "sshd_v6", "web-1_v4", "web-1_v6"
    ]  # fmt: skip
    assert layout.interval("web-1", 6)
    assert not layout.interval("web-1", 4)
    assert not layout.interval("sshd", 6)
    assert layout.interval("", 4)
    assert FirewallLayout.jail_of("web-1_v6") == ("web-1", 6)
    assert FirewallLayout.jail_of("allow_v4") == ("", 4)
    assert FirewallLayout.jail_of("a_v6_v4") == ("a_v6", 4)
    for other in ("sshd", "sshd_v5", "_v4", "x y_v4", "blocklist_v4", "blocklist_v6"):
        assert FirewallLayout.jail_of(other) is None
    assert JailRule("sshd", None, "udp").protocols == ("udp",)
    assert SSHD.protocols == ("tcp",)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "allow"},
        {"name": "blocklist"},
        {"name": ""},
        {"name": "a" * 33},
        {"name": "a b"},
        {"name": "a;drop"},
        {"protocol": "icmp"},
        {"ipv6_prefix": 0},
        {"ipv6_prefix": 129},
        {"ports": ((0, 22),)},
        {"ports": ((23, 22),)},
        {"ports": ((1, 65536),)},
    ],
)
def test_bad_rules_are_refused(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"name": "sshd", "ports": None, "protocol": "tcp", **kwargs}
    with pytest.raises(ValueError, match=r"."):
        JailRule(**args)  # type: ignore[arg-type]


def test_the_blocklist_sets_are_named_but_never_reconciled() -> None:
    off = FirewallLayout((SSHD,))
    on = FirewallLayout((SSHD,), blocklist=True)
    assert off.set_names() == ["allow_v4", "allow_v6", "sshd_v4", "sshd_v6"]
    assert on.set_names() == [
        "allow_v4",
        "allow_v6",
        "blocklist_v4",
        "blocklist_v6",
        "sshd_v4",
        "sshd_v6",
    ]
    assert on.ban_set_names() == off.ban_set_names() == off.set_names()
    assert on.blocklist_sets == ("blocklist_v4", "blocklist_v6")


def test_bad_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        FirewallLayout((SSHD, SSHD))
    with pytest.raises(ValueError, match="table"):
        FirewallLayout((SSHD,), table="a b")


# ---------------------------------------------------------------- properties

_targets = st.one_of(
    st.integers(0, 15).map(lambda i: IPv4Network(f"192.0.2.{i}/32")),
    st.integers(0, 7).map(lambda i: IPv6Network(f"2001:db8:{i}::/64")),
)
_expiry = st.one_of(st.none(), st.integers(0, 100).map(float))
_elements = st.lists(
    st.builds(Element, st.sampled_from(["", "sshd", "web"]), _targets, _expiry), max_size=30
)


@given(wanted=_elements, actual=_elements, tolerance=st.sampled_from([0.0, 5.0]))
def test_ops_turn_actual_into_wanted(
    wanted: list[Element], actual: list[Element], tolerance: float
) -> None:
    ops = reconcile(wanted, actual, tolerance=tolerance)
    result = apply(actual, ops)
    want = {e.key: e for e in reconcile(wanted, [], tolerance=tolerance) for e in [e.element]}
    assert result.keys() == want.keys()
    for key, element in want.items():
        got = result[key].expires
        if element.expires is None or got is None:
            assert got is element.expires
        else:
            assert abs(got - element.expires) <= tolerance
    # never touches a wanted element that is already fine; never deletes a wanted one
    have = {e.key: e for e in actual}
    for op in ops:
        if isinstance(op, DeleteElement):
            assert op.element.key not in want
        elif op.element.key in have:
            old = have[op.element.key].expires
            new = op.element.expires
            assert old is None or new is None or abs(old - new) > tolerance
    # applying again changes nothing
    assert reconcile(wanted, list(result.values()), tolerance=tolerance) == []
