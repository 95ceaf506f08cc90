"""PluginRunner against real Munin plugins (munin-plugins-core), Debian's munin-run, and
small plugins written by the tests (hang, bad exit, garbage, huge output, dirtyconfig...).

Plugins run as ``nobody`` when the tests run as root, so the temporary directories are made
world-readable (a 0700 pytest tmp_path would hide them from nobody, as it would from
munin-node).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from rempart.adapters.munin_plugins import PluginRunner
from rempart.munin.values import PluginOutput
from tests.conftest import need_program, need_root

T = TypeVar("T")
CORE = Path("/usr/share/munin/plugins")
AS_ROOT = os.geteuid() == 0
LOG = logging.getLogger("test.munin_plugins")


@dataclass
class Setup:
    root: Path
    plugins: Path
    conf: Path
    state: Path

    def plugin(self, name: str, body: str, *, mode: int = 0o755) -> Path:
        path = self.plugins / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(mode)
        return path

    def link(self, name: str, target: str) -> None:
        (self.plugins / name).symlink_to(CORE / target)

    def conf_file(self, name: str, text: str) -> None:
        (self.conf / name).write_text(text)

    def runner(self, **kwargs: Any) -> PluginRunner:
        options: dict[str, Any] = {
            "conf_dir": self.conf,
            "host_name": "node.example",
            "state_dir": self.state,
            "default_timeout": 5.0,
            "log": LOG,
        }
        options.update(kwargs)
        return PluginRunner(self.plugins, **options)


@pytest.fixture
def setup() -> Iterator[Setup]:
    root = Path(tempfile.mkdtemp(prefix="rempart-plugins-"))
    root.chmod(0o755)
    made = Setup(root, root / "plugins", root / "plugin-conf.d", root / "state")
    for path in (made.plugins, made.conf):
        path.mkdir(mode=0o755)
        path.chmod(0o755)
    try:
        yield made
    finally:
        shutil.rmtree(root)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def need_core(*names: str) -> None:
    need_program("munin-run", "munin-node")
    for name in names:
        if not (CORE / name).exists():
            pytest.fail(f"{CORE / name} missing: install Debian package munin-plugins-core")


async def discover_and_run(
    runner: PluginRunner, *calls: tuple[str, str], peer: str = "127.0.0.1", dirty: bool = False
) -> list[PluginOutput]:
    await runner.discover()
    return [
        await runner.run(name, action, peer=peer, dirtyconfig=dirty)  # type: ignore[arg-type]
        for name, action in calls
    ]


CONFIG_LINE = re.compile(r"(graph_\w+|[A-Za-z_][A-Za-z0-9_]*\.\w+|host_name|multigraph) .+")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|U")


def values(output: PluginOutput) -> dict[str, str]:
    assert output.outcome == "ok", output
    pairs = dict(line.split(" ", 1) for line in output.lines)
    return {key.removesuffix(".value"): value for key, value in pairs.items()}


# -- real plugins from munin-plugins-core --------------------------------------------------


def test_real_core_plugins(setup: Setup) -> None:
    need_core("load", "uptime", "cpu", "memory", "df", "if_")
    for name in ("load", "uptime", "cpu", "memory", "df"):
        setup.link(name, name)
    setup.link("if_lo", "if_")
    setup.conf_file(
        "munin-node",
        "[df*]\nenv.warning 91\nenv.critical 97\n[load]\ntimeout 5\n[*]\nuser nobody\n",
    )
    runner = setup.runner()
    infos = run(runner.discover())
    assert [i.name for i in infos] == ["cpu", "df", "if_lo", "load", "memory", "uptime"]
    assert all(not i.multigraph and not i.dirty and i.node == "" for i in infos)
    for info in infos:
        config = run(runner.run(info.name, "config", peer="127.0.0.1"))
        assert config.outcome == "ok"
        assert config.lines
        assert all(CONFIG_LINE.fullmatch(line) for line in config.lines), config.lines
        fetched = values(run(runner.run(info.name, "fetch", peer="127.0.0.1")))
        assert fetched
        assert all(NUMBER.fullmatch(v) for v in fetched.values()), fetched
    load = values(run(runner.run("load", "fetch", peer="127.0.0.1")))
    assert float(load["load"]) >= 0
    assert int(values(run(runner.run("if_lo", "fetch", peer="::1")))["down"]) >= 0
    assert {"user", "system", "idle"} <= values(run(runner.run("cpu", "fetch", peer="x"))).keys()
    df_config = run(runner.run("df", "config", peer="127.0.0.1")).lines
    assert any(line.endswith(".warning 91") for line in df_config)  # env.* reached the plugin
    assert any(line.endswith(".critical 97") for line in df_config)
    status = {s.name: s for s in runner.status()}
    assert status["load"].runs == 4
    assert status["load"].failures == 0
    assert status["load"].last_outcome == "ok"
    assert status["load"].last_duration is not None


def munin_run(setup: Setup, *args: str) -> list[str]:
    node_conf = setup.root / "munin-node.conf"
    node_conf.write_text("")
    argv = [
        need_program("munin-run", "munin-node"),
        "--config",
        str(node_conf),
        "--servicedir",
        str(setup.plugins),
        "--sconfdir",
        str(setup.conf),
        "--ignore-systemd-properties",
        *args,
    ]
    done = subprocess.run(argv, capture_output=True, check=True, timeout=30, cwd=setup.root)
    return [line for line in done.stdout.decode().splitlines() if line]


def test_same_lines_as_munin_run(setup: Setup) -> None:
    need_core("load", "if_", "df")
    setup.link("load", "load")
    setup.link("if_lo", "if_")
    setup.link("df", "df")
    setup.conf_file("munin-node", "[df*]\nenv.warning 91\n")
    runner = setup.runner()
    run(runner.discover())
    for name in ("load", "if_lo", "df"):
        ours = run(runner.run(name, "config", peer="127.0.0.1"))
        assert list(ours.lines) == munin_run(setup, name, "config"), name
        fetched = run(runner.run(name, "fetch", peer="127.0.0.1"))
        theirs = munin_run(setup, name)
        assert [line.split()[0] for line in fetched.lines] == [line.split()[0] for line in theirs]


# -- discovery ---------------------------------------------------------------------------------

GOOD = 'case "$1" in config) echo "graph_title T"; echo "a.label a";; *) echo "a.value 1";; esac\n'


def test_discovery_skips_what_munin_node_skips(setup: Setup) -> None:
    setup.plugin("good", GOOD)
    setup.plugin("foo.dpkg-old", GOOD)
    setup.plugin("bar~", GOOD)
    setup.plugin("x.conf", GOOD)
    setup.plugin("notexec", GOOD, mode=0o644)
    setup.plugin("badconfig", 'echo "graph_title T"; exit 1\n')
    setup.plugin("silent", "exit 0\n")
    (setup.plugins / "adir").mkdir()
    (setup.plugins / "dangling").symlink_to(setup.root / "nowhere")
    (setup.plugins / "linked").symlink_to(setup.plugins / "good")
    runner = setup.runner()
    assert [i.name for i in run(runner.discover())] == ["good", "linked"]
    assert [i.name for i in runner.plugins()] == ["good", "linked"]
    left = {s.name: s.problem for s in runner.status() if s.problem}
    assert left == {"badconfig": "config gave bad exit", "silent": "config gave no output"}
    assert run(runner.run("badconfig", "fetch", peer="127.0.0.1")) == PluginOutput("unknown")
    assert run(runner.run("nosuch", "config", peer="127.0.0.1")) == PluginOutput("unknown")


def test_discovery_runs_at_most_four_configs_at_once(setup: Setup) -> None:
    (setup.root / "running").mkdir(mode=0o777)
    (setup.root / "running").chmod(0o777)
    counts = setup.root / "counts"
    counts.touch(mode=0o666)
    counts.chmod(0o666)
    body = (
        f'r={setup.root}/running; ls "$r" | wc -l >> {counts}; touch "$r/$$"; sleep 0.3; '
        f'rm "$r/$$"\n' + GOOD
    )
    for n in range(8):
        setup.plugin(f"slow{n}", body)
    started = time.monotonic()
    assert len(run(setup.runner().discover())) == 8
    assert time.monotonic() - started >= 0.55  # two rounds of 0.3 s, not one
    seen = [int(x) for x in counts.read_text().split()]
    assert len(seen) == 8
    assert max(seen) <= 3


def test_multigraph_dirty_and_host_name(setup: Setup) -> None:
    setup.plugin("mg", 'echo "multigraph mg_one"; echo "graph_title One"; echo "a.label a"\n')
    setup.plugin(
        "dirty",
        'echo "graph_title D"; echo "a.label a"\n'
        'if [ "$MUNIN_CAP_DIRTYCONFIG" = 1 ]; then echo "a.value 4"; fi\n',
    )
    setup.plugin("verydirty", 'echo "graph_title V"; echo "a.label a"; echo "a.value 2"\n')
    setup.plugin("virt", 'echo "host_name Virtual.Example"; echo "graph_title H"\n')
    setup.plugin("virt2", 'echo "graph_title H"\n')
    setup.plugin("self", 'echo "host_name NODE.example"; echo "graph_title S"\n')
    setup.conf_file("a", "[virt2]\nhost_name other.example\n")
    runner = setup.runner()
    infos = {i.name: i for i in run(runner.discover())}
    assert infos["mg"].multigraph
    assert not infos["mg"].dirty
    assert not infos["dirty"].dirty
    assert infos["verydirty"].dirty
    assert infos["virt"].node == "virtual.example"
    assert infos["virt2"].node == "other.example"
    assert infos["self"].node == ""
    with_cap = run(runner.run("dirty", "config", peer="127.0.0.1", dirtyconfig=True))
    without = run(runner.run("dirty", "config", peer="127.0.0.1"))
    assert "a.value 4" in with_cap.lines
    assert "a.value 4" not in without.lines


def test_user_that_does_not_exist_is_left_out(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    need_root("switching a plugin's user")
    setup.plugin("ghost", GOOD)
    setup.plugin("ghostgroup", GOOD)
    setup.plugin("optgroup", GOOD)
    setup.conf_file(
        "x",
        "[ghost]\nuser no-such-user-rempart\n[ghostgroup]\ngroup no-such-group-rempart\n"
        "[optgroup]\ngroup (no-such-group-rempart), nogroup\n",
    )
    runner = setup.runner()
    with caplog.at_level(logging.ERROR):
        assert [i.name for i in run(runner.discover())] == ["optgroup"]
    assert "user 'no-such-user-rempart' does not exist" in caplog.text
    assert "group 'no-such-group-rempart' does not exist" in caplog.text
    assert "Munin plugin ghost is left out" in caplog.text


# -- one run -------------------------------------------------------------------------------

ENV = (
    'echo "graph_title E"; echo "# a comment line"; env | sort; echo "whoami=$(id -un)"\n'
    'echo "ids=$(id -u) $(id -g) $(id -G)"\n'
)


def test_environment_as_munin_node_builds_it(setup: Setup) -> None:
    setup.plugin("envtest", ENV)
    setup.conf_file("10-env", "[env*]\nenv.FOO from conf\nenv.PATH /custom/bin:/usr/bin:/bin\n")
    setup.conf_file("20-more", "[envtest]\nenv.BAR 2\n")
    runner = setup.runner()
    (out,) = run(discover_and_run(runner, ("envtest", "fetch"), peer="192.0.2.7"))
    assert out.outcome == "ok"
    assert "# a comment line" in out.lines
    env = dict(line.split("=", 1) for line in out.lines if "=" in line)
    user = "nobody" if AS_ROOT else env["whoami"]
    plugstate = setup.state / user
    assert env["MUNIN_MASTER_IP"] == "192.0.2.7"
    assert env["MUNIN_CAP_MULTIGRAPH"] == "1"
    assert "MUNIN_CAP_DIRTYCONFIG" not in env
    assert env["MUNIN_PLUGSTATE"] == str(plugstate)
    assert env["MUNIN_STATEFILE"] == f"{plugstate}/envtest-192.0.2.7"
    assert env["LANG"] == env["LC_ALL"] == "C"
    assert env["MUNIN_LIBDIR"] == "/usr/share/munin"
    assert env["FQDN"] == "node.example"
    assert env["FOO"] == "from conf"
    assert env["BAR"] == "2"
    assert env["PATH"] == "/custom/bin:/usr/bin:/bin"  # env.* overrides, as in munin-node
    assert env["whoami"] == user
    assert plugstate.is_dir()
    assert stat.S_IMODE(plugstate.stat().st_mode) == 0o755
    if AS_ROOT:
        assert plugstate.stat().st_uid == 65534
    assert "HOME" not in env
    assert "PYTEST_CURRENT_TEST" not in env
    (cap,) = [run(runner.run("envtest", "config", peer="::1", dirtyconfig=True))]
    env = dict(line.split("=", 1) for line in cap.lines if "=" in line)
    assert env["MUNIN_CAP_DIRTYCONFIG"] == "1"
    assert env["MUNIN_MASTER_IP"] == "::1"


def test_user_switch_without_setpriv(setup: Setup) -> None:
    need_root("switching a plugin's user")
    setup.plugin("envtest", ENV)
    setup.conf_file("x", "[envtest]\ngroup nogroup, (no-such-group-rempart), daemon\n")
    for setpriv in (True, False):
        runner = setup.runner()
        if not setpriv:
            runner._setpriv = None  # Popen's user=/group=/extra_groups= instead
        (out,) = run(discover_and_run(runner, ("envtest", "fetch")))
        assert "whoami=nobody" in out.lines, (setpriv, out)
        (ids,) = (
            line.removeprefix("ids=").split() for line in out.lines if line.startswith("ids=")
        )
        assert ids[:2] == ["65534", "65534"]  # uid, gid: the first group listed
        assert set(ids[2:]) == {"65534", "1"}  # supplementary: nogroup and daemon


def test_command_wraps_the_plugin(setup: Setup) -> None:
    setup.plugin("wrapped", 'echo "graph_title W"; echo "args=$*"; echo "wrapped=$WRAPPED"\n')
    setup.conf_file("x", "[wrapped]\ncommand /usr/bin/env 'WRAPPED=yes it is' %c\n")
    config, fetch = run(
        discover_and_run(setup.runner(), ("wrapped", "config"), ("wrapped", "fetch"))
    )
    assert "args=config" in config.lines
    assert "wrapped=yes it is" in config.lines
    assert "args=" in fetch.lines  # fetch runs the plugin without an argument, as munin-node


def session_members(sid: int) -> list[int]:
    """Live (non-zombie) processes of session ``sid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def test_hang_is_killed_with_its_children(setup: Setup) -> None:
    setup.plugin(
        "hang",
        'if [ "$1" = config ]; then echo "graph_title H"; exit 0; fi\n'
        "trap '' HUP\n"  # deaf to SIGHUP: only SIGKILL ends it
        'echo $$ > "$MUNIN_PLUGSTATE/hang.pid"\n'
        "sh -c \"trap '' HUP; sleep 30\" & sleep 30 & wait\n",
    )
    # config answers at once; fetch hangs
    setup.plugin("hang2", 'echo "graph_title H"; sleep 30 & sleep 30 & wait\n')
    setup.conf_file("x", "[hang]\ntimeout 0.5\n[hang2]\ntimeout 0.3\n")
    runner = setup.runner()
    infos = run(runner.discover())
    assert [i.name for i in infos] == ["hang"]  # hang2's config timed out: left out
    started = time.monotonic()
    out = run(runner.run("hang", "fetch", peer="127.0.0.1"))
    elapsed = time.monotonic() - started
    assert out == PluginOutput("timed out")
    assert elapsed < 3.0
    user = "nobody" if AS_ROOT else None
    pidfile = next((setup.state).glob(f"{user or '*'}/hang.pid"))
    sid = int(pidfile.read_text())
    deadline = time.monotonic() + 2.0  # SIGKILL is sent; dying takes the kernel a moment
    while session_members(sid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session_members(sid) == []
    assert {s.name: s.last_outcome for s in runner.status()} == {
        "hang": "timed out",
        "hang2": "timed out",
    }


def test_bad_exit_throws_stdout_away(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.plugin("exit3", GOOD + '[ "$1" = config ] || exit 3\n')
    runner = setup.runner()
    with caplog.at_level(logging.WARNING):
        (out,) = run(discover_and_run(runner, ("exit3", "fetch")))
    assert out == PluginOutput("bad exit")
    assert "exited with status 3/0" in caplog.text
    (status,) = runner.status()
    assert (status.runs, status.failures, status.last_outcome) == (2, 1, "bad exit")


def test_garbage_and_binary_output(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.plugin(
        "garbage",
        "printf 'graph_title G\\r\\n\\r\\n\\000\\377\\033[31mred\\n  spaced  \\nlast'\n"
        "printf 'oops \\033]0;title\\007\\n# not logged\\n' >&2\n",
    )
    with caplog.at_level(logging.WARNING):
        (out,) = run(discover_and_run(setup.runner(), ("garbage", "fetch")))
    assert out.outcome == "ok"
    assert out.lines == ("graph_title G", "\x00\ufffd\x1b[31mred", "  spaced  ", "last")
    assert "oops \\x1b]0;title\\x07" in caplog.text
    assert "\x1b" not in caplog.text
    assert "not logged" not in caplog.text


def test_huge_output_is_a_bad_exit(setup: Setup) -> None:
    setup.plugin(
        "huge",
        'echo "graph_title Big"\n[ "$1" = config ] && exit 0\n'
        "head -c 2097152 /dev/zero | tr '\\000' 'a'\n",
    )
    runner = setup.runner()
    started = time.monotonic()
    (out,) = run(discover_and_run(runner, ("huge", "fetch")))
    assert out == PluginOutput("bad exit")
    assert time.monotonic() - started < 3.0


def test_ignore_patterns_are_checked() -> None:
    from rempart.errors import MuninError

    with pytest.raises(MuninError, match="not a valid regular expression"):
        PluginRunner(
            Path("/nonexistent"), host_name="x", state_dir=Path("/tmp"), log=LOG, ignore=("(",)
        )


def test_missing_directory_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    runner = PluginRunner(
        Path("/nonexistent/plugins"), conf_dir=None, host_name="x", state_dir=Path("/tmp"), log=LOG
    )
    with caplog.at_level(logging.ERROR):
        assert run(runner.discover()) == []
    assert "cannot be read" in caplog.text
    assert "Fix:" in caplog.text
