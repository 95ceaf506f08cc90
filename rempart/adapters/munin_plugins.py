"""Run existing Munin plugins the way munin-node 2.0 runs them.

Discovery (``Munin::Node::Service::list``): every executable regular file (or symlink to one)
of the plugin directory whose name passes :func:`is_runnable_name`; at start each plugin's
``config`` runs once (at most 4 at a time) to learn ``multigraph`` (``^multigraph\\s+``),
"very dirty" plugins (values printed in ``config`` without ``MUNIN_CAP_DIRTYCONFIG``) and
``host_name``; a plugin whose config fails, times out or prints nothing is left out until the
next discovery (munin-node keeps one that exits non-zero; rempart leaves it out too and says why).

A run (``Munin::Node::Service::fork_service``, ``Munin::Node::OS::run_as_child``): argv only,
never a shell (``command`` from plugin-conf.d with ``%c`` replaced by the plugin path and its
argument; ``fetch`` passes no argument, as munin-node); a new session; the environment
munin-node builds (MUNIN_* defaults, FQDN, MUNIN_MASTER_IP, MUNIN_CAP_MULTIGRAPH=1,
MUNIN_CAP_DIRTYCONFIG=1 when the master asked, LANG/LC_ALL=C, PYTHONIOENCODING, a sane PATH,
MUNIN_PLUGSTATE/MUNIN_STATEFILE per user and master, then ``env.*``); the plugin's user and
groups when rempart runs as root (default user ``nobody``, default group ``munin`` when it
exists, else the user's own; switched by util-linux's ``setpriv``, else Popen's ``user=``);
umask 002. On timeout the whole process group gets SIGHUP, then
SIGKILL (munin-node waits 2 s between them; rempart at most 1 s) → "timed out". A non-zero
exit → "bad exit" and stdout is thrown away; more than 1 MiB on stdout → "bad exit". stdout is
split on CR/LF runs, empty lines dropped; lines starting with ``# `` are kept (the master drops
them). stderr is logged, bounded and escaped, except its ``# `` lines (munin-node's rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import logging
import os
import pwd
import re
import signal
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rempart.errors import MuninError
from rempart.munin.plugin_conf import (
    DEFAULT_IGNORE,
    PluginConf,
    PluginSettings,
    is_conf_file_name,
    is_runnable_name,
    parse_plugin_conf,
    settings_for,
)
from rempart.munin.values import Outcome, PluginInfo, PluginOutput

__all__ = ["MUNIN_DEFAULTS", "PluginRunner", "PluginStatus"]

# What Munin::Common::Defaults->export_to_environment puts in every plugin's environment
# (Debian 12, munin 2.0.73). Plugins source "$MUNIN_LIBDIR/plugins/plugin.sh".
MUNIN_DEFAULTS: Mapping[str, str] = {
    "MUNIN_PREFIX": "/usr",
    "MUNIN_CONFDIR": "/etc/munin",
    "MUNIN_BINDIR": "/usr/bin",
    "MUNIN_SBINDIR": "/usr/sbin",
    "MUNIN_DOCDIR": "/usr/doc",
    "MUNIN_LIBDIR": "/usr/share/munin",
    "MUNIN_HTMLDIR": "/var/cache/munin/www",
    "MUNIN_CGIDIR": "/usr/lib/munin/cgi",
    "MUNIN_CGITMPDIR": "",
    "MUNIN_DBDIR": "/var/lib/munin",
    "MUNIN_SPOOLDIR": "/var/lib/munin-async",
    "MUNIN_MANDIR": "/usr/share/man",
    "MUNIN_LOGDIR": "/var/log/munin",
    "MUNIN_STATEDIR": "/var/run/munin",
    "MUNIN_USER": "munin",
    "MUNIN_GROUP": "munin",
    "MUNIN_PLUGINUSER": "nobody",
    "MUNIN_VERSION": "2.0.73",
    "MUNIN_PERL": "/usr/bin/perl",
    "MUNIN_PERLLIB": "/usr/share/perl5",
    "MUNIN_GOODSH": "/bin/sh",
    "MUNIN_BASH": "/bin/bash",
    "MUNIN_PYTHON": "/usr/bin/env python3",
    "MUNIN_RUBY": "/usr/bin/env ruby",
    "MUNIN_OSTYPE": "linux",
    "MUNIN_HOSTNAME": "localhost.localdomain",
    "MUNIN_MKTEMP": "mktemp -p /tmp/ MKTEMP     = ",
    "MUNIN_HASSETR": "1",
}
PLUGIN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SETPRIV = "/usr/bin/setpriv"  # util-linux (Essential in Debian)
STDOUT_LIMIT = 1 << 20
STDERR_LIMIT = 64 << 10
STDERR_LINES = 20
DISCOVERY_CONCURRENCY = 4
KILL_GRACE = 1.0
_CONF_FILE_LIMIT = 1 << 20
_LINES = re.compile(rb"[\r\n]+")
_MULTIGRAPH = re.compile(r"multigraph\s+")
_DIRTY = re.compile(r"[A-Za-z0-9_]+\.value ")
_PEER_UNSAFE = re.compile(r"[^0-9A-Za-z.:%_-]")
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}


@dataclass(frozen=True, slots=True)
class PluginStatus:
    """What the runner knows of one plugin (for ``rempart probes``)."""

    name: str
    runs: int = 0
    failures: int = 0
    last_duration: float | None = None  # seconds
    last_outcome: Outcome | None = None
    problem: str = ""  # why the plugin is left out; "" when it is served


@dataclass(frozen=True, slots=True)
class _Identity:
    name: str  # user name (MUNIN_PLUGSTATE/<name>)
    uid: int | None = None  # None: no switch (not root, or no user asked)
    gid: int | None = None
    groups: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plugin:
    name: str
    path: Path
    settings: PluginSettings
    identity: _Identity


@dataclass(frozen=True, slots=True)
class _Result:
    outcome: Outcome
    stdout: bytes = b""
    stderr: bytes = b""
    reason: str = ""


@dataclass(slots=True)
class _Counters:
    runs: int = 0
    failures: int = 0
    last_duration: float | None = None
    last_outcome: Outcome | None = None
    problem: str = ""


def _escape(text: str, limit: int = 300) -> str:
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.translate(_CONTROLS)


def _lines(data: bytes) -> tuple[str, ...]:
    """Munin's ``split /[\\r\\n]+/`` of a plugin's output, empty lines dropped."""
    return tuple(part.decode("utf-8", errors="replace") for part in _LINES.split(data) if part)


def _lookup_user(user: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except (KeyError, ValueError, OverflowError):
        raise LookupError(f"user '{user}' does not exist") from None


def _lookup_group(group: str) -> int | None:
    try:
        return (grp.getgrgid(int(group)) if group.isdigit() else grp.getgrnam(group)).gr_gid
    except (KeyError, ValueError, OverflowError):
        return None


def _group_ids(settings: PluginSettings, user: pwd.struct_passwd) -> tuple[int, ...]:
    """Munin's ``_resolve_gids``: listed groups (``(name)`` = optional), else the default."""
    ids: list[int] = []
    for group in settings.groups:
        optional = len(group) > 2 and group.startswith("(") and group.endswith(")")
        name = group[1:-1] if optional else group
        gid = _lookup_group(name)
        if gid is None and not optional:
            raise LookupError(f"group '{name}' does not exist")
        if gid is not None:
            ids.append(gid)
    if ids:
        return tuple(ids)
    munin = _lookup_group("munin")
    return (munin if munin is not None else user.pw_gid,)


def _identity(settings: PluginSettings, default_user: str | None, as_root: bool) -> _Identity:
    """Who a plugin runs as; ``LookupError`` when its user or a required group is missing."""
    if not as_root:
        uid = os.getuid()
        try:
            return _Identity(pwd.getpwuid(uid).pw_name)
        except KeyError:
            return _Identity(str(uid))
    user = settings.user if settings.user is not None else default_user
    if user is None:
        return _Identity("root")
    entry = _lookup_user(user)
    groups = _group_ids(settings, entry)
    return _Identity(entry.pw_name, entry.pw_uid, groups[0], groups)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _read_limited(stream: asyncio.StreamReader, limit: int, *, stop: bool) -> bytes | None:
    """Everything up to EOF, at most ``limit`` bytes; ``None`` when ``stop`` and over."""
    data = bytearray()
    while chunk := await stream.read(65536):
        if len(data) + len(chunk) > limit:
            if stop:
                return None
            data += chunk[: max(0, limit - len(data))]
            continue  # keep draining stderr so the plugin never blocks on it
        data += chunk
    return bytes(data)


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGHUP to the plugin's process group, then SIGKILL to whatever is left in it."""
    _signal_group(proc.pid, signal.SIGHUP)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), KILL_GRACE)
    _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), 5.0)


async def _settle(proc: asyncio.subprocess.Process, tasks: Sequence[asyncio.Future[Any]]) -> None:
    """After a kill: let the readers see EOF, then close the pipes (one may be unread, as
    stdout after an overflow, or kept open by a process that left the group)."""
    _, pending = await asyncio.wait(tasks, timeout=1.0)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


async def _execute(
    argv: Sequence[str], env: Mapping[str, str], ids: Mapping[str, Any], timeout: float
) -> _Result:
    """One plugin process, bounded in time and output."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd="/",
            start_new_session=True,
            umask=0o002,
            **ids,
        )
    except (OSError, ValueError) as exc:
        return _Result("bad exit", reason=f"cannot start {argv[0]}: {exc}")
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = asyncio.ensure_future(_read_limited(proc.stdout, STDOUT_LIMIT, stop=True))
    err = asyncio.ensure_future(_read_limited(proc.stderr, STDERR_LIMIT, stop=False))
    try:
        async with asyncio.timeout(timeout):
            stdout = await out
            if stdout is not None:
                await proc.wait()
                stderr = await err or b""
    except TimeoutError:
        await _kill_group(proc)
        await _settle(proc, (out, err))
        return _Result("timed out", stderr=_done(err), reason=f"killed after {timeout:g} s")
    if stdout is None:
        await _kill_group(proc)
        await _settle(proc, (err,))
        return _Result("bad exit", stderr=_done(err), reason="more than 1 MiB on stdout")
    if proc.returncode:
        code = proc.returncode
        status = f"{code}/0" if code > 0 else f"0/{-code}"
        return _Result("bad exit", stderr=stderr, reason=f"exited with status {status}")
    return _Result("ok", stdout=stdout, stderr=stderr)


def _done(task: asyncio.Future[bytes | None]) -> bytes:
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result() or b""
    return b""


class PluginRunner:
    """The Munin plugins of one directory, run as munin-node runs them."""

    def __init__(
        self,
        directory: Path,
        *,
        conf_dir: Path | None = Path("/etc/munin/plugin-conf.d"),
        host_name: str,
        state_dir: Path,
        default_timeout: float = 10.0,
        default_user: str | None = "nobody",
        log: logging.Logger,
        ignore: tuple[str, ...] = DEFAULT_IGNORE,
    ) -> None:
        for pattern in ignore:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise MuninError("munin.plugin_ignore", pattern=pattern, reason=str(exc)) from exc
        self._directory = directory
        self._conf_dir = conf_dir
        self._host_name = host_name
        self._state_dir = state_dir
        self._default_timeout = default_timeout
        self._default_user = default_user
        self._log = log
        self._ignore = ignore
        self._plugins: dict[str, _Plugin] = {}
        self._infos: list[PluginInfo] = []
        self._counters: dict[str, _Counters] = {}
        self._setpriv: str | None = SETPRIV if os.access(SETPRIV, os.X_OK) else None

    # -- discovery -------------------------------------------------------------------------

    async def discover(self) -> list[PluginInfo]:
        """Find the plugins and run each one's ``config`` (≤ 4 at once); failures are
        logged and left out, as munin-node does at start."""
        conf = self._read_conf()
        candidates = [
            plugin for name in self._runnable() if (plugin := self._candidate(name, conf))
        ]
        gate = asyncio.Semaphore(DISCOVERY_CONCURRENCY)

        async def probe(plugin: _Plugin) -> PluginInfo | None:
            async with gate:
                return await self._probe(plugin)

        found = await asyncio.gather(*(probe(p) for p in candidates))
        kept = {p.name: p for p, info in zip(candidates, found, strict=True) if info}
        self._plugins = kept
        self._infos = [info for info in found if info is not None]
        return list(self._infos)

    def plugins(self) -> list[PluginInfo]:
        """The plugins served, from the last :meth:`discover`."""
        return list(self._infos)

    def _runnable(self) -> list[str]:
        try:
            names = sorted(os.listdir(self._directory))
        except OSError as exc:
            self._log.error(
                "%s", MuninError("munin.plugin_dir", path=str(self._directory), reason=exc)
            )
            return []
        return [name for name in names if self._is_plugin(name)]

    def _is_plugin(self, name: str) -> bool:
        if not is_runnable_name(name, self._ignore):
            self._log.debug("munin plugins: %s skipped (name)", _escape(name))
            return False
        path = self._directory / name
        try:
            mode = path.stat().st_mode
        except OSError:
            return False
        return stat.S_ISREG(mode) and os.access(path, os.X_OK)

    def _read_conf(self) -> PluginConf:
        if self._conf_dir is None:
            return PluginConf()
        try:
            names = sorted(os.listdir(self._conf_dir))
        except FileNotFoundError:
            self._log.info("munin plugins: no plugin-conf.d at %s", self._conf_dir)
            return PluginConf()
        except OSError as exc:
            self._log.warning(
                "%s",
                MuninError("munin.plugin_conf_unreadable", path=str(self._conf_dir), reason=exc),
            )
            return PluginConf()
        files = [
            (str(self._conf_dir / name), text)
            for name in names
            if is_conf_file_name(name, self._ignore)
            and (text := self._conf_text(self._conf_dir / name)) is not None
        ]
        conf = parse_plugin_conf(files)
        for problem in conf.problems:
            self._log.warning("%s", MuninError("munin.plugin_conf", problem=_escape(str(problem))))
        return conf

    def _conf_text(self, path: Path) -> str | None:
        try:
            if not path.is_file():
                return None
            with path.open("rb") as handle:
                data = handle.read(_CONF_FILE_LIMIT)
        except OSError as exc:
            self._log.warning(
                "%s", MuninError("munin.plugin_conf_unreadable", path=str(path), reason=exc)
            )
            return None
        return data.decode("utf-8", errors="surrogateescape")

    def _candidate(self, name: str, conf: PluginConf) -> _Plugin | None:
        settings = settings_for(name, conf)
        try:
            identity = _identity(settings, self._default_user, os.geteuid() == 0)
        except LookupError as exc:
            self._log.error("%s", MuninError("munin.plugin_user", plugin=name, reason=exc))
            self._counter(name).problem = str(exc)
            return None
        return _Plugin(name, self._directory / name, settings, identity)

    async def _probe(self, plugin: _Plugin) -> PluginInfo | None:
        output = await self._run(plugin, "config", peer="", dirtyconfig=False)
        if output.outcome != "ok" or not output.lines:
            outcome = output.outcome if output.outcome != "ok" else "no output"
            self._log.warning(
                "%s", MuninError("munin.plugin_left_out", plugin=plugin.name, outcome=outcome)
            )
            self._counter(plugin.name).problem = f"config gave {outcome}"
            return None
        self._counter(plugin.name).problem = ""
        return PluginInfo(
            name=plugin.name,
            multigraph=any(_MULTIGRAPH.match(line) for line in output.lines),
            dirty=any(_DIRTY.match(line) for line in output.lines),
            node=self._node(plugin, output.lines),
        )

    def _node(self, plugin: _Plugin, lines: Sequence[str]) -> str:
        declared = next((line for line in lines if line.startswith("host_name ")), "")
        words = declared.split()
        node = plugin.settings.host_name or (words[1] if len(words) > 1 else "")
        node = node.lower()
        return "" if node == self._host_name.lower() else node

    # -- running ---------------------------------------------------------------------------

    async def run(
        self,
        name: str,
        action: Literal["config", "fetch"],
        *,
        peer: str,
        dirtyconfig: bool = False,
    ) -> PluginOutput:
        """``config`` or ``fetch`` of one discovered plugin; ``unknown`` for any other name."""
        plugin = self._plugins.get(name)
        if plugin is None or action not in ("config", "fetch"):
            return PluginOutput("unknown")
        return await self._run(plugin, action, peer=peer, dirtyconfig=dirtyconfig)

    def status(self) -> list[PluginStatus]:
        """Runs, failures, last duration and outcome of every plugin seen."""
        return [
            PluginStatus(name, c.runs, c.failures, c.last_duration, c.last_outcome, c.problem)
            for name, c in sorted(self._counters.items())
        ]

    def _counter(self, name: str) -> _Counters:
        return self._counters.setdefault(name, _Counters())

    async def _run(
        self, plugin: _Plugin, action: str, *, peer: str, dirtyconfig: bool
    ) -> PluginOutput:
        peer = _PEER_UNSAFE.sub("_", peer)[:64]
        started = time.monotonic()
        try:
            plugstate = self._plugstate(plugin.identity)
        except OSError as exc:
            self._log.error(
                "%s", MuninError("munin.plugin_state_dir", path=str(self._state_dir), reason=exc)
            )
            result = _Result("bad exit", reason="no state directory")
        else:
            env = self._environment(plugin, plugstate, peer=peer, dirtyconfig=dirtyconfig)
            timeout = plugin.settings.timeout or self._default_timeout
            prefix, ids = self._switch(plugin)
            argv = [*prefix, *self._argv(plugin, action)]
            result = await _execute(argv, env, ids, timeout)
        self._account(plugin.name, action, result, time.monotonic() - started)
        if result.outcome != "ok":
            return PluginOutput(result.outcome)
        return PluginOutput("ok", _lines(result.stdout))

    def _argv(self, plugin: _Plugin, action: str) -> list[str]:
        own = [str(plugin.path)] + ([action] if action == "config" else [])
        if plugin.settings.command is None:
            return own
        argv: list[str] = []
        for word in plugin.settings.command:
            argv.extend(own if word == "%c" else [word])
        return argv

    def _switch(self, plugin: _Plugin) -> tuple[list[str], dict[str, Any]]:
        """How to become the plugin's user: ``setpriv`` in front of argv (fast: the spawn
        stays a vfork), or Popen's ``user``/``group``/``extra_groups`` (a full fork, and
        closing descriptors as a non-root user is slow: about 12 ms more per run here)."""
        who = plugin.identity
        if who.uid is None:
            return [], {}
        if self._setpriv is not None:
            groups = ",".join(str(g) for g in who.groups)
            return [
                self._setpriv,
                f"--reuid={who.uid}",
                f"--regid={who.gid}",
                f"--groups={groups}",
                "--",
            ], {}
        return [], {"user": who.uid, "group": who.gid, "extra_groups": list(who.groups)}

    def _environment(
        self, plugin: _Plugin, plugstate: Path, *, peer: str, dirtyconfig: bool
    ) -> dict[str, str]:
        env = dict(MUNIN_DEFAULTS)
        env.update(
            MUNIN_DEBUG="0",
            FQDN=self._host_name,
            MUNIN_MASTER_IP=peer,
            MUNIN_CAP_MULTIGRAPH="1",
            LC_ALL="C",
            LANG="C",
            PYTHONIOENCODING="utf8:replace",
            PATH=PLUGIN_PATH,
            MUNIN_PLUGSTATE=str(plugstate),
            MUNIN_STATEFILE=f"{plugstate}/{plugin.name}-{peer}",
        )
        if dirtyconfig:
            env["MUNIN_CAP_DIRTYCONFIG"] = "1"
        env.update(plugin.settings.env)
        return env

    def _plugstate(self, who: _Identity) -> Path:
        """``<state_dir>/<user>``, made as munin-node makes it (0755, owned by the user)."""
        path = self._state_dir / who.name
        if path.is_dir():
            return path
        self._state_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        try:
            path.mkdir(mode=0o755)
        except FileExistsError:
            return path
        if who.uid is not None:
            os.chown(path, who.uid, 0)
        return path

    def _account(self, name: str, action: str, result: _Result, duration: float) -> None:
        counter = self._counter(name)
        previous = counter.last_outcome
        counter.runs += 1
        counter.failures += result.outcome != "ok"
        counter.last_duration = duration
        counter.last_outcome = result.outcome
        self._log_stderr(name, result.stderr)
        if result.outcome != "ok":
            level = logging.WARNING if previous != result.outcome else logging.DEBUG
            self._log.log(
                level,
                "%s",
                MuninError(
                    "munin.plugin_failed",
                    plugin=name,
                    action=action,
                    outcome=result.outcome,
                    reason=result.reason,
                ),
            )

    def _log_stderr(self, name: str, data: bytes) -> None:
        """munin-node logs a plugin's stderr lines, except those starting with ``# ``."""
        lines = [line for line in _lines(data) if not line.startswith("# ")]
        for line in lines[:STDERR_LINES]:
            self._log.warning(
                "%s", MuninError("munin.plugin_stderr", plugin=name, text=_escape(line))
            )
        if len(lines) > STDERR_LINES:
            self._log.warning(
                "%s",
                MuninError(
                    "munin.plugin_stderr",
                    plugin=name,
                    text=f"(… {len(lines) - STDERR_LINES} more lines not logged)",
                ),
            )
