"""Small munin-node look-alikes on 127.0.0.1 for poller tests: well-behaved ones serving
given plugin bodies, and hostile ones (silent, closing mid-reply, garbage, a 1 MB line, an
endless reply). Each is an asyncio server in the test's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

__all__ = ["BEHAVIOURS", "Bodies", "serve", "well_behaved"]

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
#: plugin -> (config lines, fetch lines)
Bodies = Mapping[str, tuple[list[str], list[str]]]


def well_behaved(bodies: Callable[[], Bodies], host: str = "fake") -> Handler:
    """A node answering cap/list/version/config/fetch from ``bodies()`` (read at each
    command, so a test can change the values between rounds)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"# munin node at {host}\n".encode())
        while line := (await reader.readline()).decode().strip():
            verb, _, arg = line.partition(" ")
            now = bodies()
            if verb == "quit":
                break
            if verb == "cap":
                out = "cap multigraph dirtyconfig\n"
            elif verb == "list":
                out = " ".join(now) + "\n"
            elif verb == "version":
                out = "munins node on fake version: 2.0.73\n"
            elif verb in ("config", "fetch") and arg in now:
                body = now[arg][0 if verb == "config" else 1]
                out = "".join(f"{b}\n" for b in body) + ".\n"
            else:
                out = "# Unknown service\n.\n"
            writer.write(out.encode())
            await writer.drain()

    return handle


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def _closes_mid_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"# munin node at half\n")
    await reader.readline()  # cap
    writer.write(b"cap multigraph dirtyconfig\n")
    await reader.readline()  # version
    writer.write(b"munins node on half version: 2.0.73\n")
    await reader.readline()  # list
    writer.write(b"load\n")
    await reader.readline()  # config load
    writer.write(b"graph_title Load\nload.label lo")
    await writer.drain()
    writer.close()


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(100):
        writer.write(b"\x00\xff\xfeSSH-2.0-garbage \x1b[2J\n")
    await writer.drain()
    await asyncio.sleep(3600)


async def _long_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"# munin node at long\n")
    await reader.readline()
    writer.write(b"cap " + b"x" * 1024 * 1024 + b"\n")
    await writer.drain()
    await asyncio.sleep(3600)


async def _endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"# munin node at endless\n")
    await reader.readline()
    writer.write(b"cap multigraph\n")
    await reader.readline()
    writer.write(b"munins node on endless version: 2.0.73\n")
    await reader.readline()
    writer.write(b"flood\n")
    await reader.readline()
    chunk = b"graph_title flood\n" + b"x.label x\n" * 1000
    with contextlib.suppress(ConnectionError):
        while True:
            writer.write(chunk)
            await writer.drain()


BEHAVIOURS: dict[str, Handler] = {
    "silent": _silent,
    "closes-mid-reply": _closes_mid_reply,
    "garbage": _garbage,
    "long-line": _long_line,
    "endless": _endless,
}


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[int]:
    """``handler`` on 127.0.0.1, a free port (yielded); connections closed at the end."""
    tasks: set[asyncio.Task[None]] = set()

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
