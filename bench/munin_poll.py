"""A full munin-update-like poll of rempart's munin-node server over loopback.

    .venv/bin/python bench/munin_poll.py [--plugins 20] [--runs 50]

The server (rempart.services.munin_node) runs on 127.0.0.1, port 0, in its own thread and
event loop; its backend serves the bodies Debian's munin-node 2.0.73 recorded
(tests/fixtures/munin/transcripts), so the figure is the protocol's and the server's cost,
not the plugins'. One poll = connect, banner, ``cap multigraph dirtyconfig``, ``list``, then
``config`` and ``fetch`` of each of the first N plugins, ``quit``, read the way the master
reads (until ``\\n.\\n``). For comparison, the research note measured Debian's munin-node
answering each reply ~40-48 ms late on this VM (line-by-line writes with Nagle and delayed
ACKs; see tests/fixtures/munin/transcripts/README.md and the note's §2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.munin_transcripts import (
    Client,
    ServerThread,
    TranscriptBackend,
    all_bodies,
)


def poll(port: int, count: int) -> tuple[float, int]:
    """Seconds for one poll of ``count`` plugins, and the number of commands sent."""
    start = time.perf_counter()
    with Client(port) as client:
        client.line()
        client.send("cap multigraph dirtyconfig")
        client.line()
        client.send("list")
        names = (client.line() or "").split()[:count]
        for name in names:
            for verb in ("config", "fetch"):
                client.send(f"{verb} {name}")
                client.until_dot()
        client.send("quit")
        client.closed()
    return time.perf_counter() - start, 2 + 2 * len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugins", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with ServerThread(TranscriptBackend(all_bodies())) as server:
        poll(server.port, args.plugins)  # warm-up
        results = [poll(server.port, args.plugins) for _ in range(args.runs)]
    times = sorted(r[0] for r in results)
    commands = results[0][1]
    median = statistics.median(times)
    print(
        f"full poll over loopback: {args.plugins} plugins, {commands} commands, {args.runs} runs: "
        f"median {median * 1000:.2f} ms (min {times[0] * 1000:.2f}, max {times[-1] * 1000:.2f}), "
        f"{median / commands * 1e6:.0f} us per command"
    )


if __name__ == "__main__":
    main()
