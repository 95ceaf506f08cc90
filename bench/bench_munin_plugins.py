"""Cost of one Munin plugin run: rempart's PluginRunner against Debian's munin-run.

    python bench/bench_munin_plugins.py [--runs 50] [--plugin load]

Three ways to run the same plugin (a symlink to /usr/share/munin/plugins/<plugin> in a
temporary directory, empty plugin-conf.d), each ``--runs`` times, sequentially:
- ``direct``: ``subprocess.run([plugin])`` — the plugin's own cost (the floor);
- ``runner``: ``PluginRunner.run(plugin, "fetch")`` — environment, user switch (as root),
  new session, bounded reading, accounting;
- ``munin-run``: ``munin-run --ignore-systemd-properties <plugin>`` — Perl start, config
  parsing, then the same exec (munin-node forks instead of starting Perl, so it sits
  between the two).
Prints the median and p90 wall time per run in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rempart.adapters.munin_plugins import PluginRunner


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _report(name: str, times: list[float]) -> None:
    times.sort()
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"{name:10} median {statistics.median(times):7.2f} ms   p90 {p90:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--plugin", default="load", help="file in /usr/share/munin/plugins")
    parser.add_argument("--name", default="", help="link name (if_lo for if_); default: --plugin")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-plugins-"))
    try:
        root.chmod(0o755)
        plugins, conf = root / "plugins", root / "conf"
        plugins.mkdir(mode=0o755)
        conf.mkdir(mode=0o755)
        (root / "munin-node.conf").write_text("")
        name = args.name or args.plugin
        target = plugins / name
        target.symlink_to(Path("/usr/share/munin/plugins") / args.plugin)
        env = {"MUNIN_LIBDIR": "/usr/share/munin", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

        def direct() -> None:
            subprocess.run([str(target)], check=True, env=env, stdout=subprocess.DEVNULL)

        _report("direct", _timed(direct, args.runs))
        runner = PluginRunner(
            plugins,
            conf_dir=conf,
            host_name="bench",
            state_dir=root / "state",
            log=logging.getLogger("bench"),
        )

        async def loop() -> list[float]:
            await runner.discover()
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                out = await runner.run(name, "fetch", peer="127.0.0.1")
                times.append((time.perf_counter() - start) * 1000)
                assert out.outcome == "ok", out
            return times

        _report("runner", asyncio.run(loop()))
        argv = [
            "munin-run",
            "--config",
            str(root / "munin-node.conf"),
            "--servicedir",
            str(plugins),
            "--sconfdir",
            str(conf),
            "--ignore-systemd-properties",
            name,
        ]
        _report(
            "munin-run",
            _timed(lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL), args.runs),
        )
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
