"""fail2ban ``filter.d/*.conf`` files -> :class:`FilterDefinition`.

How fail2ban builds a filter, and so how this loader does:

1. read ``X.conf``, ``X.d/*.conf``, ``X.local``, ``X.d/*.local`` and their
   ``[INCLUDES]`` (:mod:`rempart.rules.fail2ban_ini`);
2. read the ``[Definition]`` options (``failregex``, ``prefregex``, ``ignoreregex``,
   ``datepattern``, ``maxlines``, ``journalmatch``) with ``%(x)s`` interpolation, where the
   filter's arguments (``sshd[mode=aggressive]``) win over the file's values;
3. collect ``[Init]`` parameters (arguments win; ``known/x`` keeps the file's value);
4. resolve ``<tag>`` references recursively (``<mdre-<mode>>``, ``<lt_<logtype>/x>``,
   ``<known/x>``) against the arguments, ``[Init]`` and ``[Definition]``; tags that name
   nothing (``<HOST>``, ``<F-USER>``…) stay for the matcher to expand.

Conditional keys (``[Init?family=inet6]``: ``x?family=inet6``) are used when the
arguments satisfy their condition (``family=inet6``), else the plain ``x`` is used.
``usedns = no`` in the filter turns ``<HOST>`` into ``<ADDR>`` (addresses only), as
fail2ban does; other values keep host names, which rempart never resolves.

Errors are :class:`~rempart.errors.FilterError` naming the file and the option.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType

from rempart.errors import FilterError
from rempart.guard.definition import FilterDefinition
from rempart.rules.fail2ban_ini import ConfigFiles, MergedConfig, read_config

__all__ = ["load_fail2ban_filter", "resolve_tags"]

_DEFINITION = "Definition"
_INIT = "Init"
_OPTIONS = (
    "usedns",
    "prefregex",
    "ignoreregex",
    "failregex",
    "maxlines",
    "datepattern",
    "journalmatch",
)
_TAG = re.compile(r"<([^ <>]+)>")
_CONDITIONAL = re.compile(r"^(\w+)\?(\w+)=(.*)$")
_MAX_REPLACE = 25


def load_fail2ban_filter(
    path: PurePath,
    options: Mapping[str, str] | None = None,
    *,
    files: ConfigFiles | None = None,
) -> FilterDefinition:
    """Load a fail2ban filter file with its arguments (``{"mode": "aggressive"}``)."""
    options = dict(options or {})
    config = read_config(path, files)
    values = _combined(config, options)
    resolved = {
        name: resolve_tags(values[name], values, config, name, options)
        for name in _OPTIONS
        if values.get(name) is not None
    }
    return _definition(path, options, resolved, config)


def _combined(config: MergedConfig, options: dict[str, str]) -> dict[str, str]:
    """Definition options, then arguments and [Init] parameters over them."""
    values: dict[str, str] = {}
    for name in _OPTIONS:
        if name in options or not config.has(_DEFINITION, name):
            continue
        value = config.get(_DEFINITION, name, options)
        if value is not None:
            values[name] = value
    init = dict(options)
    for name in config.own_keys(_INIT):
        value = config.get(_INIT, name)
        if value is None:
            continue
        if not name.startswith("known/"):
            init[f"known/{name}"] = value
        init.setdefault(name, value)
    for name, value in list(init.items()):
        cond = _CONDITIONAL.match(name)
        if cond and init.get(cond.group(2)) == cond.group(3):
            init[cond.group(1)] = value
    return {**values, **{k: v for k, v in init.items() if "?" not in k}}


def resolve_tags(
    value: str,
    values: Mapping[str, str],
    config: MergedConfig,
    option: str,
    options: Mapping[str, str],
) -> str:
    """Replace ``<tag>`` references in ``value`` (recursively), as fail2ban does.

    A tag is looked up in ``values`` (arguments, [Init], Definition options), then as a
    [Definition] option (``<x>``, ``<section/x>``, ``<known/x>``). Tags naming nothing are
    kept (they are regex tags such as ``<HOST>``).
    """
    counts: dict[str, int] = {}
    changed = True
    while changed:  # a replacement can complete an enclosing tag: <a-<b>> -> <a-x>
        changed = False
        m = _TAG.search(value)
        while m:
            tag = m.group(1)
            if tag == option or counts.get(tag, 0) >= _MAX_REPLACE:
                raise FilterError(
                    "filter.invalid",
                    filter=config.origin(_DEFINITION, option),
                    problem=f"option {option}: <{tag}> refers to itself (directly or in a loop)",
                )
            repl = values.get(tag)
            if repl is None:
                repl = config.get(_DEFINITION, tag, options)
            if repl is None:
                m = _TAG.search(value, m.end())
                continue
            value = value.replace(f"<{tag}>", repl)
            counts[tag] = counts.get(tag, 0) + 1
            changed = True
            m = _TAG.search(value, m.start())
    return value


def _lines(value: str | None) -> tuple[str, ...]:
    return tuple(line for line in (value or "").split("\n") if line != "")


def _journalmatch(value: str | None, origin: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for line in _lines(value):
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise FilterError(
                "filter.invalid", filter=origin, problem=f"option journalmatch: {exc}"
            ) from exc
        if words and tokens:
            tokens.append("+")
        tokens.extend(words)
    return tuple(tokens)


def _maxlines(value: str | None, origin: str) -> int:
    if value is None or not value.strip():
        return 1
    try:
        maxlines = int(value)
    except ValueError:
        maxlines = 0
    if maxlines < 1:
        raise FilterError(
            "filter.invalid",
            filter=origin,
            problem=f"option maxlines: expected a whole number >= 1, got {value!r}",
        )
    return maxlines


def _definition(
    path: PurePath, options: dict[str, str], values: dict[str, str], config: MergedConfig
) -> FilterDefinition:
    failregex = _lines(values.get("failregex"))
    if not failregex:
        raise FilterError(
            "filter.invalid",
            filter=config.origin(_DEFINITION, "failregex"),
            problem="option failregex: no regular expression (the filter would match nothing)",
        )
    datepattern = (values.get("datepattern") or "").strip() or None
    if (values.get("usedns") or "").strip().lower() == "no":
        # fail2ban's usedns = no: <HOST> matches addresses only
        failregex = tuple(r.replace("<HOST>", "<ADDR>") for r in failregex)
        values = {
            k: v.replace("<HOST>", "<ADDR>") if k in ("prefregex", "ignoreregex") else v
            for k, v in values.items()
        }
    name = path.name
    for suffix in (".conf", ".local"):
        name = name.removesuffix(suffix)
    return FilterDefinition(
        name=name,
        origin=str(path),
        failregex=failregex,
        prefregex=values.get("prefregex") or None,
        ignoreregex=_lines(values.get("ignoreregex")),
        datepattern=datepattern,
        maxlines=_maxlines(values.get("maxlines"), config.origin(_DEFINITION, "maxlines")),
        journalmatch=_journalmatch(
            values.get("journalmatch"), config.origin(_DEFINITION, "journalmatch")
        ),
        options=MappingProxyType(dict(options)),
    )
