"""Runner that calls libnftables in-process through ctypes (about 55 µs per small batch).

Every call runs on one dedicated thread that owns the ``nft_ctx``. Given ``netns`` (a
network namespace file such as ``/run/netns/NAME``), that thread first enters it with
``setns(CLONE_NEWNET)`` (which moves only the calling thread) and then checks that
``/proc/thread-self/ns/net`` is that namespace, refusing to work otherwise: a runner
meant for a test namespace can never change the host's firewall.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from rempart.adapters.firewall.runner import decode_output, encode_batch, nft_error
from rempart.adapters.heap import trim_heap
from rempart.errors import FirewallError

__all__ = ["LIBRARY", "LibNftables", "enter_netns", "same_namespace", "verify_netns"]

LIBRARY = "libnftables.so.1"
CLONE_NEWNET = 0x40000000
OUTPUT_JSON = 1 << 4  # NFT_CTX_OUTPUT_JSON
OUTPUT_TERSE = 1 << 11  # NFT_CTX_OUTPUT_TERSE: listings without set elements
THREAD_NS = Path("/proc/thread-self/ns/net")
_TRIM_ABOVE = 1 << 20  # characters of a text batch after which freed memory is trimmed

_Call = Callable[["_Context"], Any]


def same_namespace(a: Path, b: Path) -> bool:
    """Whether two namespace files name the same namespace (same device and inode)."""
    sa, sb = a.stat(), b.stat()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def enter_netns(path: Path, *, check: Path = THREAD_NS) -> None:
    """Move the calling thread into the network namespace ``path`` and verify it did.

    Raises FirewallError when setns fails or the thread's namespace (``check``) is not
    ``path`` afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise FirewallError("firewall.netns", path=str(path), reason=str(exc)) from exc
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            reason = os.strerror(ctypes.get_errno())
            raise FirewallError("firewall.netns", path=str(path), reason=f"setns: {reason}")
    finally:
        os.close(fd)
    verify_netns(path, check=check)


def verify_netns(path: Path, *, check: Path = THREAD_NS) -> None:
    """Raise FirewallError unless ``check`` (the thread's namespace) is ``path``."""
    try:
        same = same_namespace(path, check)
    except OSError as exc:
        raise FirewallError("firewall.netns", path=str(path), reason=str(exc)) from exc
    if not same:
        reason = f"this thread is in namespace inode {check.stat().st_ino}, not in it"
        raise FirewallError("firewall.netns", path=str(path), reason=reason)


class _Context:
    """An ``nft_ctx`` with JSON output and buffered output and errors."""

    def __init__(self, library: str) -> None:
        try:
            lib = ctypes.CDLL(library)
        except OSError as exc:
            raise FirewallError("firewall.missing_library", library=library, reason=exc) from exc
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        lib.nft_ctx_new.restype, lib.nft_ctx_new.argtypes = vp, [ctypes.c_uint32]
        lib.nft_ctx_free.restype, lib.nft_ctx_free.argtypes = None, [vp]
        lib.nft_ctx_output_set_flags.restype = None
        lib.nft_ctx_output_set_flags.argtypes = [vp, ctypes.c_uint]
        for name in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
            getattr(lib, name).restype, getattr(lib, name).argtypes = ctypes.c_int, [vp]
        for name in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
            getattr(lib, name).restype, getattr(lib, name).argtypes = cp, [vp]
        lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
        lib.nft_run_cmd_from_buffer.argtypes = [vp, cp]
        ctx = lib.nft_ctx_new(0)
        if not ctx:
            raise FirewallError("firewall.failed", detail="nft_ctx_new failed")
        if lib.nft_ctx_buffer_output(ctx) or lib.nft_ctx_buffer_error(ctx):
            lib.nft_ctx_free(ctx)
            raise FirewallError("firewall.failed", detail="cannot buffer libnftables output")
        self._lib, self._ctx = lib, ctx

    def run(self, batch: str, terse: bool, *, text: bool = False) -> tuple[int, str, str]:
        """Run ``batch`` (JSON, or nft's own language when ``text``)."""
        lib, ctx = self._lib, self._ctx
        flags = 0 if text else OUTPUT_JSON | (OUTPUT_TERSE if terse else 0)
        lib.nft_ctx_output_set_flags(ctx, flags)
        rc = lib.nft_run_cmd_from_buffer(ctx, batch.encode())
        # reading a buffer also rewinds it for the next call: always read both
        out = lib.nft_ctx_get_output_buffer(ctx) or b""
        err = lib.nft_ctx_get_error_buffer(ctx) or b""
        return rc, out.decode(errors="replace"), err.decode(errors="replace")

    def free(self) -> None:
        self._lib.nft_ctx_free(self._ctx)


class LibNftables:
    """libnftables through ctypes, every call on one dedicated thread.

    ``netns``: run inside that network namespace (verified, see the module). Raises
    FirewallError when the library cannot be loaded or the namespace entered.
    """

    def __init__(
        self,
        netns: Path | None = None,
        *,
        library: str = LIBRARY,
        timeout: float = 60.0,
    ) -> None:
        self._netns, self._library, self._timeout = netns, library, timeout
        self._calls: queue.SimpleQueue[tuple[_Call, Future[Any]] | None] = queue.SimpleQueue()
        self._closed = False
        ready: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="rempart-libnftables", daemon=True
        )
        self._thread.start()
        ready.result()  # raises what the thread could not do

    @property
    def detail(self) -> str:
        where = f" in network namespace {self._netns}" if self._netns else ""
        return f"libnftables ({self._library}){where}"

    def _serve(self, ready: Future[None]) -> None:
        try:
            if self._netns is not None:
                enter_netns(self._netns)
            context = _Context(self._library)
        except BaseException as exc:  # noqa: BLE001 - the thread ends: __init__ raises it
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            while (item := self._calls.get()) is not None:
                call, future = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(call(context))
                    except BaseException as exc:  # noqa: BLE001 - the caller raises it
                        future.set_exception(exc)
        finally:
            context.free()

    def _submit(self, call: _Call) -> Any:
        if self._closed:
            raise FirewallError("firewall.closed")
        future: Future[Any] = Future()
        self._calls.put((call, future))
        try:
            return future.result(timeout=self._timeout)
        except FutureTimeout as exc:
            raise FirewallError(
                "firewall.timeout", program=self._library, timeout=self._timeout
            ) from exc

    def run(self, commands: Sequence[dict[str, Any]], *, terse: bool = False) -> list[Any]:
        action = next(iter(commands[0]), "run") if commands else "run"
        batch = encode_batch(commands)
        rc, out, err = self._submit(lambda context: context.run(batch, terse))
        if rc != 0:
            raise nft_error(action, err or out or f"libnftables returned {rc}")
        return decode_output(out, action)

    def run_text(self, text: str) -> None:
        """``text`` (nft's language) as one transaction. After a large batch, the memory
        libnftables used for it (about 330 bytes per set element) is handed back to the
        system (``malloc_trim``): a 500,000-address load would otherwise leave the
        process 190 MB larger."""
        rc, out, err = self._submit(lambda context: context.run(text, False, text=True))
        if len(text) > _TRIM_ABOVE:
            trim_heap()
        if rc != 0:
            raise nft_error("load", (err or out)[:4000] or f"libnftables returned {rc}")

    def close(self) -> None:
        """Stop the thread and free the context (idempotent)."""
        if not self._closed:
            self._closed = True
            self._calls.put(None)
            self._thread.join(timeout=self._timeout)
