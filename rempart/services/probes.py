"""The probes in the agent: collected off the event loop, results shared, failures recorded.

Two kinds of probes (see :mod:`rempart.probes.base`):

- **on demand** (cpu, df, network…): collected when someone asks (a Munin poll, a Prometheus
  scrape, ``rempart probes``) and the result is older than ``fresh`` seconds. Requests that
  arrive while a collection runs wait for that same collection: one poll of 40 graphs costs
  one collection per probe.
- **background** (tls, http, mariadb…): collected on their own ``interval`` (the first time
  soon after start); a request gets the last result, never waits on the network.

Blocking ``collect`` calls run in a worker thread, never on the event loop: one thread for
the on-demand probes and one for the background ones, so a poll never queues behind an HTTP
check waiting for its timeout. Each probe therefore always runs in the same thread, never
twice at once. A probe with ``on_loop = True`` (the agent's own figures, which read the
agent's state) is collected on the loop itself: it must be cheap.

A probe that raises gives a failed :class:`~rempart.metrics.model.Collection` (its error
text, no series), logged once per change of error (and once when it works again); it
never stops the others nor the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rempart.clock import Clock
from rempart.errors import ProbeError
from rempart.metrics.model import Collection, Graph, Series
from rempart.probes.base import Probe

__all__ = ["ProbeService", "ProbeStatus", "run_probe", "status_of"]

FIRST_DELAY = 1.0  # seconds after start before the first background collection
STAGGER = 0.5  # seconds between the first runs of two background probes
MAX_SLEEP = 5.0  # the scheduler wakes at least this often


def _error_text(probe: str, exc: BaseException) -> str:
    if isinstance(exc, ProbeError):
        text = exc.render("en")
    elif isinstance(exc, OSError):
        text = f"{exc.strerror or type(exc).__name__}" + (
            f": {exc.filename}" if exc.filename else ""
        )
    else:
        text = f"unexpected {type(exc).__name__}: {exc}"
    return " ".join(text.split())[:300] or type(exc).__name__


def run_probe(probe: Probe, clock: Clock, log: logging.Logger | None = None) -> Collection:
    """One collection of ``probe``, timed; an exception becomes a failed collection."""
    at = clock.now()
    started = time.perf_counter()
    try:
        series = tuple(probe.collect())
        error = ""
    except (ProbeError, OSError) as exc:
        series, error = (), _error_text(probe.name, exc)
    except Exception as exc:  # a bug in one probe must not stop the others
        if log is not None:
            log.exception("probe %s: unexpected failure", probe.name)
        series, error = (), _error_text(probe.name, exc)
    return Collection(probe.name, series, at, time.perf_counter() - started, error)


@dataclass(frozen=True, slots=True)
class ProbeStatus:
    """What ``rempart probes`` shows for one probe."""

    name: str
    enabled: bool
    background: bool
    interval: float
    runs: int = 0
    failures: int = 0
    last_duration: float | None = None
    mean_duration: float | None = None
    last_error: str = ""
    graphs: tuple[str, ...] = ()
    series: int = 0
    fields: int = 0
    has_data: bool = False
    last_at: float | None = None


def status_of(probe: Probe, runs: Sequence[Collection]) -> ProbeStatus:
    """The status of ``probe`` after the collections ``runs`` (oldest first)."""
    last = runs[-1] if runs else None
    series = last.series if last is not None else ()
    return ProbeStatus(
        name=probe.name,
        enabled=True,
        background=probe.background,
        interval=probe.interval,
        runs=len(runs),
        failures=sum(1 for r in runs if not r.ok),
        last_duration=last.duration if last else None,
        mean_duration=sum(r.duration for r in runs) / len(runs) if runs else None,
        last_error=last.error if last else "",
        graphs=tuple(s.graph.name for s in series),
        series=len(series),
        fields=sum(len(s.graph.fields) for s in series),
        has_data=bool(last and last.has_data),
        last_at=last.at if last else None,
    )


@dataclass(slots=True)
class _Slot:
    """One probe's state in the service."""

    probe: Probe
    last: Collection | None = None
    fresh_at: float = float("-inf")  # monotonic time of the last collection's start
    pending: asyncio.Task[Collection] | None = None
    due: float = 0.0  # background: monotonic time of the next run
    runs: int = 0
    failures: int = 0
    total: float = 0.0
    graphs: dict[str, Graph] = field(default_factory=dict)  # last known (kept on failure)
    logged_error: str = ""


class ProbeService:
    """Collects ``probes`` for the agent; see the module documentation."""

    def __init__(
        self,
        probes: Iterable[Probe],
        *,
        clock: Clock,
        log: logging.Logger,
        fresh: float = 5.0,
        disabled: Iterable[str] = (),
    ) -> None:
        self.clock = clock
        self.log = log
        self.fresh = fresh
        self.disabled = tuple(sorted(set(disabled)))
        self._slots: dict[str, _Slot] = {}
        for probe in probes:
            if probe.name in self._slots:
                log.warning("probe %s is given twice: the second one is left out", probe.name)
                continue
            self._slots[probe.name] = _Slot(probe)
        self._executors: dict[bool, ThreadPoolExecutor] = {}
        self._task: asyncio.Task[None] | None = None
        self._clashes: set[str] = set()

    @property
    def names(self) -> list[str]:
        return list(self._slots)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Schedule the background probes (first run after ``FIRST_DELAY``, staggered)."""
        now = self.clock.monotonic()
        background = [s for s in self._slots.values() if s.probe.background]
        for index, slot in enumerate(background):
            slot.due = now + FIRST_DELAY + index * STAGGER
        if background:
            self._task = asyncio.get_running_loop().create_task(
                self._schedule(), name="probes-background"
            )

    async def close(self) -> None:
        """Stop the schedule; collections in progress finish in their thread."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        pending = [s.pending for s in self._slots.values() if s.pending is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
        self._executors = {}

    async def _schedule(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(self.next_wait())

    async def run_due(self) -> int:
        """Run the background probes that are due now (one after the other); how many."""
        now = self.clock.monotonic()
        due = [s for s in self._slots.values() if s.probe.background and s.due <= now]
        for slot in due:
            slot.due = now + max(slot.probe.interval, 1.0)
            await self._collect(slot)
        return len(due)

    def next_wait(self) -> float:
        """Seconds until the next background probe is due (bounded)."""
        now = self.clock.monotonic()
        dues = [s.due for s in self._slots.values() if s.probe.background]
        return min([MAX_SLEEP, *(max(0.0, d - now) for d in dues)])

    # ------------------------------------------------------------ collecting

    async def collect(self, names: Iterable[str] | None = None) -> list[Collection]:
        """The current collection of each probe in ``names`` (all when None): on-demand
        probes collected again when older than ``fresh``, background ones as last run."""
        slots = self._pick(names)
        waits = [self._fresh(slot) for slot in slots if not slot.probe.background]
        if waits:
            await asyncio.gather(*waits)
        return [slot.last for slot in slots if slot.last is not None]

    async def collect_all_now(
        self, progress: Callable[[str], None] | None = None
    ) -> list[Collection]:
        """Every probe collected now, background ones included (``rempart probes``)."""
        out = []
        for slot in self._slots.values():
            if progress is not None:
                progress(slot.probe.name)
            out.append(await self._collect(slot))
        return out

    def _pick(self, names: Iterable[str] | None) -> list[_Slot]:
        if names is None:
            return list(self._slots.values())
        return [self._slots[n] for n in dict.fromkeys(names) if n in self._slots]

    async def _fresh(self, slot: _Slot) -> Collection:
        if slot.pending is not None:
            return await asyncio.shield(slot.pending)
        if slot.last is not None and self.clock.monotonic() - slot.fresh_at < self.fresh:
            return slot.last
        return await self._collect(slot)

    async def _collect(self, slot: _Slot) -> Collection:
        """A collection of ``slot`` now, or the one in progress (one at a time per probe).
        It runs as its own task: a requester that gives up does not cancel it for others."""
        if slot.pending is None:
            slot.pending = asyncio.get_running_loop().create_task(
                self._run(slot), name=f"probe-{slot.probe.name}"
            )
        return await asyncio.shield(slot.pending)

    async def _run(self, slot: _Slot) -> Collection:
        started = self.clock.monotonic()
        try:
            if getattr(slot.probe, "on_loop", False):
                result = run_probe(slot.probe, self.clock, self.log)
            else:
                result = await asyncio.get_running_loop().run_in_executor(
                    self._executor(slot.probe.background),
                    run_probe,
                    slot.probe,
                    self.clock,
                    self.log,
                )
        finally:
            slot.pending = None
        self._record(slot, result, started)
        return result

    def _executor(self, background: bool) -> ThreadPoolExecutor:
        executor = self._executors.get(background)
        if executor is None:
            prefix = "probes-bg" if background else "probes"
            executor = ThreadPoolExecutor(1, thread_name_prefix=prefix)
            self._executors[background] = executor
        return executor

    def _record(self, slot: _Slot, result: Collection, started: float) -> None:
        slot.last = result
        slot.fresh_at = started
        slot.runs += 1
        slot.total += result.duration
        if result.ok:
            slot.graphs = {s.graph.name: s.graph for s in result.series}
        else:
            slot.failures += 1
        if result.error != slot.logged_error:
            if result.error:
                self.log.warning("probe %s failed: %s", result.probe, result.error)
            else:
                self.log.info("probe %s works again", result.probe)
            slot.logged_error = result.error

    # ------------------------------------------------------------ reading

    def graphs(self) -> dict[str, tuple[str, Graph]]:
        """Every graph known from the last good collections: name -> (probe, graph).
        Two probes giving one graph name: the first probe wins (logged once)."""
        out: dict[str, tuple[str, Graph]] = {}
        for name, slot in self._slots.items():
            for graph in slot.graphs.values():
                if graph.name in out:
                    if graph.name not in self._clashes:
                        self._clashes.add(graph.name)
                        self.log.warning(
                            "graph %s is given by probes %s and %s: %s's is served",
                            graph.name,
                            out[graph.name][0],
                            name,
                            out[graph.name][0],
                        )
                    continue
                out[graph.name] = (name, graph)
        return out

    async def series(self, graph: str) -> tuple[Graph, Series | None] | None:
        """The graph called ``graph`` and its current series (None when the last collection
        failed or lacked it: its values are then unknown); None for an unknown graph."""
        owner = self.graphs().get(graph)
        if owner is None:
            return None
        probe, known = owner
        collections = await self.collect([probe])
        for s in collections[0].series if collections else ():
            if s.graph.name == graph:
                return s.graph, s
        return known, None

    def last(self) -> list[Collection]:
        """The last collection of every probe that ran."""
        return [s.last for s in self._slots.values() if s.last is not None]

    def status(self) -> list[ProbeStatus]:
        """Each probe's status, then the disabled ones."""
        out = []
        for slot in self._slots.values():
            last = slot.last
            base = status_of(slot.probe, [last] if last is not None else [])
            out.append(
                ProbeStatus(
                    name=base.name,
                    enabled=True,
                    background=base.background,
                    interval=base.interval,
                    runs=slot.runs,
                    failures=slot.failures,
                    last_duration=base.last_duration,
                    mean_duration=slot.total / slot.runs if slot.runs else None,
                    last_error=base.last_error,
                    graphs=base.graphs,
                    series=base.series,
                    fields=base.fields,
                    has_data=base.has_data,
                    last_at=base.last_at,
                )
            )
        out += [
            ProbeStatus(name, enabled=False, background=False, interval=0.0)
            for name in self.disabled
        ]
        return out
