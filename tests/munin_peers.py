"""The real Munin peers, for tests and benchmarks: Debian's munin-node and munin-update.

- :func:`debian_munin_node` starts ``/usr/sbin/munin-node --foreground`` (2.0.73) with its own
  configuration file: bound to 127.0.0.1 on a free port (never 4949), ``allow ^127\\.0\\.0\\.1$``,
  its own pid and log files, Debian's ``/etc/munin/plugin-conf.d``; it yields once the banner
  is served and stops the whole process group afterwards. Never the system service.
  munin-node 2.0 has no option for the plugin directory (it is ``$MUNIN_CONFDIR/plugins``): for
  another ``plugins_dir`` it is run through a two-line Perl wrapper that sets
  ``Munin::Common::Defaults::MUNIN_CONFDIR`` (and ``MUNIN_PLUGSTATE``) to a private directory
  before loading the unchanged ``/usr/sbin/munin-node``.
- :func:`munin_update` writes a ``munin.conf`` (global directives first, then one
  ``[group;name]`` section per node) and runs ``/usr/share/munin/munin-update`` as the
  ``munin`` user (it refuses root) through ``runuser``; the RRD files land in
  ``<dbdir>/<group>/<host>-<plugin>-<field>-<g|d|c|a>.rrd`` (note §3.1), read back with
  :func:`rrd_last` (``rrdtool lastupdate``).
- :class:`MuninClient` is a plain-socket munin protocol client (optional ``TCP_QUICKACK``
  re-armed around every ``recv``), and :func:`full_poll` polls a node the way munin-update does
  (banner, ``cap multigraph dirtyconfig``, ``list``, then ``config`` and ``fetch`` of every
  plugin, the fetch skipped when a dirty config already carried values), timing each command.

pytest's temporary directories are private to root (mode 0700), which the ``munin`` user cannot
traverse: munin-update works in a directory under ``/tmp`` that is moved into ``tmp_path``
after each run (and back for the next one).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rempart.munin.names import clean_fieldname
from tests.conftest import missing_dependency, need_program
from tests.e2e.agent import rempart_argv

__all__ = [
    "MUNIN_NODE",
    "MUNIN_UPDATE",
    "Command",
    "MuninClient",
    "MuninNode",
    "Poll",
    "RunningNode",
    "UpdateResult",
    "debian_munin_node",
    "expected_rrds",
    "free_port",
    "full_poll",
    "link_plugins",
    "munin_update",
    "need_munin",
    "parse_values",
    "rempart_agent_node",
    "rrd_last",
    "rrd_names",
    "rrd_path",
    "stop_group",
    "wait_banner",
]

MUNIN_NODE = Path("/usr/sbin/munin-node")
MUNIN_UPDATE = Path("/usr/share/munin/munin-update")
PLUGIN_CONF = Path("/etc/munin/plugin-conf.d")
DEFAULT_PLUGINS = Path("/etc/munin/plugins")
MUNIN_USER = "munin"

# Debian's munin-node.conf ignore_file lines, kept as they are.
_IGNORE = (
    r"[\#~]$",
    r"DEADJOE$",
    r"\.bak$",
    r"%$",
    r"\.dpkg-(tmp|new|old|dist)$",
    r"\.rpm(save|new)$",
    r"\.pod$",
)

# Loads /usr/sbin/munin-node unchanged after pointing its configuration directory (plugins/ and
# plugin-conf.d/) and plugin state directory elsewhere; munin-node's own `exit main() unless
# caller` does not run under `do`, so the wrapper calls main() itself.
_WRAPPER = (
    "require Munin::Common::Defaults;"
    "$Munin::Common::Defaults::MUNIN_CONFDIR = shift @ARGV;"
    "$Munin::Common::Defaults::MUNIN_PLUGSTATE = shift @ARGV;"
    "my $node = shift @ARGV;"
    "do $node; die $@ if $@;"
    "exit main::main();"
)


def need_munin() -> None:
    """Skips (fails under CI=true) unless munin-node, munin-update, rrdtool and root are here."""
    need_program("munin-node", "munin-node")
    need_program("rrdtool", "rrdtool")
    need_program("runuser", "util-linux")
    problem = ""
    if not MUNIN_UPDATE.exists():
        problem = f"{MUNIN_UPDATE} not found: install Debian package munin"
    elif os.geteuid() != 0:
        problem = "the Munin peers need root (munin-node switches plugin users; runuser munin)"
    else:
        try:
            pwd.getpwnam(MUNIN_USER)
        except KeyError:
            problem = "user munin missing: install Debian package munin (it creates it)"
    if problem:
        missing_dependency(problem)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------------------- protocol client
class MuninClient:
    """One munin protocol connection (plain blocking socket, LF lines)."""

    def __init__(
        self, host: str, port: int, *, timeout: float = 30.0, quickack: bool = False
    ) -> None:
        self.quickack = quickack
        self._buf = b""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.banner = self.readline()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"quit\n")
        self.sock.close()

    def __enter__(self) -> MuninClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readline(self) -> str:
        while b"\n" not in self._buf:
            if self.quickack:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; unread: {self._buf[:200]!r}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8", errors="replace")

    def single(self, command: str) -> str:
        """A command answered by one line (cap, list, version)."""
        self.sock.sendall(command.encode() + b"\n")
        return self.readline()

    def multi(self, command: str) -> list[str]:
        """A command answered by lines up to a ``.`` line (config, fetch, nodes); without it."""
        self.sock.sendall(command.encode() + b"\n")
        lines = []
        while (line := self.readline()) != ".":
            lines.append(line)
        return lines


def parse_values(lines: Sequence[str]) -> dict[str, float | None]:
    """``field.value N`` lines → {field: N} (``U`` → None; ``graph.field`` under multigraph)."""
    values: dict[str, float | None] = {}
    graph = ""
    for line in lines:
        if line.startswith("multigraph "):
            graph = line.split(None, 1)[1].strip()
            continue
        name, _, value = line.partition(" ")
        if not name.endswith(".value"):
            continue
        key = name[: -len(".value")]
        text = value.strip().rsplit(":", 1)[-1]  # back-dated "epoch:value"
        number: float | None
        try:
            number = None if text == "U" else float(text)
        except ValueError:
            number = None
        values[f"{graph}/{key}" if graph else key] = number
    return values


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a poll and its round trip."""

    line: str
    seconds: float
    reply: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Poll:
    """One full poll: the commands in order, the whole wall time (connect to quit)."""

    banner: str
    plugins: tuple[str, ...]
    commands: tuple[Command, ...]
    wall: float
    connect: float

    def reply(self, line: str) -> tuple[str, ...]:
        return next(c.reply for c in self.commands if c.line == line)

    def fetched(self) -> dict[str, dict[str, float | None]]:
        """Values per plugin: from ``fetch``, or from the dirty ``config`` that replaced it."""
        out: dict[str, dict[str, float | None]] = {}
        for c in self.commands:
            verb, _, name = c.line.partition(" ")
            if verb == "fetch" or (verb == "config" and name not in out):
                values = parse_values(c.reply)
                if values or verb == "fetch":
                    out[name] = values
        return out


def full_poll(
    host: str,
    port: int,
    *,
    quickack: bool = False,
    timeout: float = 60.0,
    caps: str = "multigraph dirtyconfig",
) -> Poll:
    """Polls like munin-update: banner, caps, list, then config (+ fetch) of every plugin.

    With ``caps="multigraph"`` (no dirtyconfig) every plugin is configured *and* fetched."""
    start = time.perf_counter()
    commands: list[Command] = []
    with MuninClient(host, port, timeout=timeout, quickack=quickack) as client:
        connect = time.perf_counter() - start

        def timed(line: str, multi: bool) -> tuple[str, ...]:
            t0 = time.perf_counter()
            reply = tuple(client.multi(line)) if multi else (client.single(line),)
            commands.append(Command(line, time.perf_counter() - t0, reply))
            return reply

        announced = set(caps.split())
        got = timed(f"cap {caps}", False)[0].split()[1:]
        caps_on = [c for c in got if c in announced]
        plugins = tuple(timed("list", False)[0].split())
        for name in plugins:
            config = timed(f"config {name}", True)
            if "dirtyconfig" in caps_on and parse_values(config):
                continue
            timed(f"fetch {name}", True)
        banner = client.banner
    return Poll(banner, plugins, tuple(commands), time.perf_counter() - start, connect)


# ----------------------------------------------------------------------------- munin-node
@dataclass
class RunningNode:
    """A started munin-node: where it listens, what it announced, its files."""

    address: str
    port: int
    banner: str
    process: subprocess.Popen[bytes]
    config: Path
    log_file: Path
    console: Path

    @property
    def host_name(self) -> str:
        return self.banner.rsplit(" ", 1)[-1]

    def node(self, group: str = "peers", name: str = "debian-node") -> MuninNode:
        return MuninNode(group, name, self.address, self.port)

    def log(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.console, self.log_file) if p.exists()]
        return "\n".join(parts)


def _node_config(work: Path, port: int, host_name: str | None, extra: Sequence[str] = ()) -> Path:
    lines = [
        "# munin-node for tests (tests/munin_peers.py): loopback, a free port, private files",
        "log_level 4",
        f"log_file {work / 'munin-node.log'}",
        f"pid_file {work / 'munin-node.pid'}",
        "background 0",
        "setsid 0",
        "user root",
        "group root",
        *(f"ignore_file {pattern}" for pattern in _IGNORE),
        r"allow ^127\.0\.0\.1$",
        "host 127.0.0.1",
        f"port {port}",
        *([f"host_name {host_name}"] if host_name else []),
        *extra,
    ]
    path = work / "munin-node.conf"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _node_argv(work: Path, config: Path, plugins_dir: Path) -> list[str]:
    if plugins_dir.resolve() == DEFAULT_PLUGINS.resolve():
        return [str(MUNIN_NODE), "--foreground", "--config", str(config)]
    # The plugins run as nobody: every directory on the path munin-node executes must be
    # traversable by it, so plugins/ is a real directory here with links to the real targets.
    confdir = work / "confdir"
    plugins = confdir / "plugins"
    shutil.rmtree(confdir, ignore_errors=True)
    confdir.mkdir()
    (confdir / "plugin-conf.d").symlink_to(PLUGIN_CONF)
    link_plugins(plugins_dir, plugins)
    plugstate = work / "plugin-state"
    plugstate.mkdir(exist_ok=True)
    plugstate.chmod(0o755)
    return [
        "perl",
        "-e",
        _WRAPPER,
        str(confdir),
        str(plugstate),
        str(MUNIN_NODE),
        "--foreground",
        "--config",
        str(config),
    ]


def link_plugins(source: Path, target: Path) -> Path:
    """``target``: a new directory with one link per entry of ``source`` to its real file, so
    that a plugin run as nobody can be reached (pytest's tmp_path is private to root)."""
    target.mkdir(parents=True)
    target.chmod(0o755)
    for entry in sorted(source.iterdir()):
        (target / entry.name).symlink_to(os.path.realpath(entry))
    return target


def _read_banner(port: int, timeout: float = 2.0) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            data = b""
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                data += chunk
            s.sendall(b"quit\n")
            return data.split(b"\n", 1)[0].decode(errors="replace")
    except OSError:
        return None


def wait_banner(
    port: int, process: subprocess.Popen[bytes], timeout: float, what: str, log: Path
) -> str:
    """The banner at 127.0.0.1:port, once served; AssertionError if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise AssertionError(f"{what} exited ({process.returncode}) before its banner:\n{text}")
        banner = _read_banner(port)
        if banner is not None and banner.startswith("# munin node at "):
            return banner
        time.sleep(0.05)
    raise AssertionError(f"{what} served no banner on 127.0.0.1:{port} within {timeout} s")


def stop_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM to the process group it leads (started with a new session), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):  # session children still running
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def debian_munin_node(
    tmp_path: Path,
    *,
    plugins_dir: Path = DEFAULT_PLUGINS,
    port: int | None = None,
    host_name: str | None = None,
    timeout: float = 60.0,
) -> Iterator[RunningNode]:
    """Debian's munin-node on 127.0.0.1:``port`` (a free one by default), stopped afterwards."""
    need_munin()
    # Under /tmp, not tmp_path (mode 0700): plugins run as nobody; copied to tmp_path at the end.
    work = Path(tempfile.mkdtemp(prefix="rempart-munin-node-"))
    work.chmod(0o755)
    try:
        yield from _run_node(work, plugins_dir, port, host_name, timeout)
    finally:
        with contextlib.suppress(OSError):
            shutil.copytree(work, tmp_path / work.name, symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _run_node(
    work: Path, plugins_dir: Path, port: int | None, host_name: str | None, timeout: float
) -> Iterator[RunningNode]:
    attempts = 3 if port is None else 1
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        config = _node_config(work, chosen, host_name)
        console = work / "console.log"
        with console.open("ab") as out:
            process = subprocess.Popen(
                _node_argv(work, config, plugins_dir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                cwd="/",
            )
        try:
            banner = wait_banner(chosen, process, timeout, "munin-node", console)
        except AssertionError:
            stop_group(process)
            in_use = "Address already in use" in console.read_text(errors="replace")
            if in_use and attempt + 1 < attempts:
                continue  # another server took the free port meanwhile
            raise
        node = RunningNode(
            "127.0.0.1", chosen, banner, process, config, work / "munin-node.log", console
        )
        try:
            yield node
        finally:
            stop_group(process)
        return


# ----------------------------------------------------------------------------- munin-update
@dataclass(frozen=True, slots=True)
class MuninNode:
    """One node of munin.conf: ``[group;name]`` with ``address`` and ``port``."""

    group: str
    name: str
    address: str
    port: int


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """One munin-update run."""

    wall: float
    returncode: int
    log: str
    dbdir: Path
    config: Path
    output: str = ""
    files: tuple[Path, ...] = field(default=())

    def rrd(self, node: MuninNode, plugin: str, fieldname: str, type_letter: str) -> Path:
        return rrd_path(self.dbdir, node.group, node.name, plugin, fieldname, type_letter)


def _munin_conf(work: Path, nodes: Sequence[MuninNode]) -> str:
    # Global directives must come before any section (note §3.1).
    lines = [
        "# munin.conf for tests (tests/munin_peers.py)",
        f"dbdir {work / 'db'}",
        f"htmldir {work / 'www'}",
        f"logdir {work / 'log'}",
        f"rundir {work / 'run'}",
        "tmpldir /etc/munin/templates",
        "staticdir /etc/munin/static",
        "",
    ]
    for node in nodes:
        lines += [
            f"[{node.group};{node.name}]",
            f"    address {node.address}",
            f"    port {node.port}",
            "    use_node_name yes",
            "",
        ]
    return "\n".join(lines)


def munin_update(
    tmp_path: Path,
    nodes: Sequence[MuninNode],
    *,
    timeout: float = 120.0,
    debug: bool = True,
) -> UpdateResult:
    """Runs munin-update once, as the munin user, on ``nodes``; the state is kept in
    ``tmp_path/munin`` between runs (a second run sees the first one's RRDs and state)."""
    need_munin()
    account = pwd.getpwnam(MUNIN_USER)
    saved = tmp_path / "munin"
    parent = Path(tempfile.mkdtemp(prefix="rempart-munin-update-"))
    parent.chmod(0o755)
    work = parent / "munin"
    try:
        if saved.exists():
            shutil.move(str(saved), str(work))
        else:
            work.mkdir()
        for sub in ("db", "www", "log", "run"):
            (work / sub).mkdir(exist_ok=True)
        config = work / "munin.conf"
        config.write_text(_munin_conf(work, nodes), encoding="utf-8")
        log_path = work / "log" / "munin-update.log"
        log_size = log_path.stat().st_size if log_path.exists() else 0
        for path in (work, *work.rglob("*")):
            os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
        argv = ["runuser", "-u", MUNIN_USER, "--", str(MUNIN_UPDATE), f"--config_file={config}"]
        if debug:
            argv.append("--debug")
        t0 = time.perf_counter()
        result = subprocess.run(
            argv, check=False, capture_output=True, text=True, timeout=timeout, cwd="/"
        )
        wall = time.perf_counter() - t0
        log_path = work / "log" / "munin-update.log"  # appended to by every run
        log = log_path.read_bytes()[log_size:].decode(errors="replace") if log_path.exists() else ""
    finally:
        if work.exists():
            shutil.move(str(work), str(saved))
        shutil.rmtree(parent, ignore_errors=True)
    dbdir = saved / "db"
    return UpdateResult(
        wall=wall,
        returncode=result.returncode,
        log=log.replace(str(work), str(saved)),
        dbdir=dbdir,
        config=saved / "munin.conf",
        output=result.stdout + result.stderr,
        files=tuple(sorted(dbdir.rglob("*.rrd"))),
    )


def rrd_path(dbdir: Path, group: str, host: str, plugin: str, fieldname: str, t: str) -> Path:
    """``<dbdir>/<group>/<host>-<plugin>-<field>-<t>.rrd`` (t: g, d, c or a)."""
    return dbdir / group / f"{host}-{plugin}-{fieldname}-{t}.rrd"


def rrd_last(
    dbdir: Path, group: str, host: str, plugin: str, fieldname: str, type_letter: str
) -> float | None:
    """The last value fed to that RRD (``rrdtool lastupdate``); None when missing or ``U``."""
    path = rrd_path(dbdir, group, host, plugin, fieldname, type_letter)
    if not path.exists():
        return None
    out = subprocess.run(
        ["rrdtool", "lastupdate", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    lines = [line for line in out.splitlines() if ":" in line]
    if not lines:
        return None
    text = lines[-1].split(":", 1)[1].strip()
    if text in ("U", "") or text.lower() == "nan":
        return None
    return float(text)


_NOT_FIELDS = ("graph_", "multigraph", "host_name", "update_rate")


def expected_rrds(plugin: str, config: Sequence[str]) -> dict[str, str]:
    """What munin-update stores for one plugin's ``config`` reply: {``<graph>-<field>``: type
    letter}. The graph is the plugin, or each ``multigraph`` name with dots as dashes; field
    names cleaned by the master's rule; the letter is the first of ``.type`` (GAUGE: g)."""
    out: dict[str, str] = {}
    graph = plugin
    for line in config:
        if line.startswith("multigraph "):
            graph = line.split(None, 1)[1].strip()
            continue
        key, _, value = line.partition(" ")
        if "." not in key or key.startswith(_NOT_FIELDS) or key.endswith(".value"):
            continue
        name, _, attr = key.rpartition(".")
        rrd = f"{graph.replace('.', '-')}-{clean_fieldname(name)}"
        out.setdefault(rrd, "g")
        if attr == "type" and value.strip():
            out[rrd] = value.strip()[0].lower()
    return out


def rrd_names(dbdir: Path, group: str, host: str) -> set[str]:
    """The RRD files of one host, as ``<plugin or graph>-<field>-<t>`` names."""
    prefix = f"{host}-"
    return {p.name[len(prefix) : -len(".rrd")] for p in (dbdir / group).glob(f"{prefix}*.rrd")}


# ----------------------------------------------------------------------------- rempart agent
_REMPART_CONFIG = """\
# tests/munin_peers.py: the agent with no jails, the firewall dry-run, munin-node on loopback
[rempart]
state_dir = "{state}"

[metrics]
enabled = true

[metrics.munin]
enabled = true
listen = ["127.0.0.1"]
port = {port}
allow = ["127.0.0.1"]
host_name = "{host_name}"
plugins = "{plugins}"
plugin_conf = "{plugin_conf}"
plugin_timeout = "10s"
"""


@contextlib.contextmanager
def rempart_agent_node(
    tmp_path: Path,
    *,
    plugins_dir: Path | None = None,
    plugin_conf: Path = PLUGIN_CONF,
    host_name: str = "rempart-test",
    extra_toml: str = "",
    log_level: str = "info",
    timeout: float = 60.0,
) -> Iterator[RunningNode]:
    """``rempart agent`` serving the munin-node protocol on 127.0.0.1 on a free port: no jails,
    ``--firewall dry-run``, state and control socket in a private directory; ``plugins_dir``
    (Munin plugins the agent runs) is linked into a directory nobody can reach. Yields once
    the banner is served."""
    work = Path(tempfile.mkdtemp(prefix="rempart-agent-"))
    work.chmod(0o755)
    try:
        plugins = link_plugins(plugins_dir, work / "plugins") if plugins_dir else None
        port = free_port()
        state = work / "state"
        config = work / "rempart.toml"
        text = _REMPART_CONFIG.format(
            state=state,
            port=port,
            host_name=host_name,
            plugins=plugins or "",
            plugin_conf=plugin_conf,
        )
        config.write_text(text + extra_toml, encoding="utf-8")
        console = work / "agent.log"
        argv = rempart_argv(
            "agent",
            "--config",
            str(config),
            "--firewall",
            "dry-run",
            "--socket",
            str(work / "agent.sock"),
            "--state-dir",
            str(state),
            "--log-level",
            log_level,
        )
        with console.open("ab") as out:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                cwd="/",
            )
        try:
            banner = wait_banner(port, process, timeout, "rempart agent", console)
            yield RunningNode("127.0.0.1", port, banner, process, config, console, console)
        finally:
            stop_group(process)
    finally:
        with contextlib.suppress(OSError):
            shutil.copytree(work, tmp_path / work.name, symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
