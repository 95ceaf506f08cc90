"""ProbeService: freshness, shared collections, the background schedule, failures, the loop."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rempart.clock import FrozenClock
from rempart.services.probes import ProbeService, run_probe
from tests.small_probes import SMALL_ROOT, LoadFileProbe

if TYPE_CHECKING:
    import pytest

LOG = logging.getLogger("rempart.test.probes")


def _service(*probes: LoadFileProbe, clock: FrozenClock, **kw: object) -> ProbeService:
    return ProbeService(probes, clock=clock, log=LOG, **kw)  # type: ignore[arg-type]


def test_on_demand_result_is_reused_while_fresh() -> None:
    async def main() -> None:
        clock = FrozenClock(1_800_000_000.0)
        probe = LoadFileProbe()
        service = _service(probe, clock=clock, fresh=5.0)
        first = await service.collect()
        assert [c.probe for c in first] == ["load"]
        assert first[0].series[0].values["load"] == 1.22
        assert first[0].at == 1_800_000_000.0
        assert first[0].ok
        assert first[0].has_data
        clock.advance(4.9)
        assert (await service.collect())[0] is first[0]
        clock.advance(0.2)
        assert (await service.collect())[0] is not first[0]
        assert probe.runs == 2
        assert probe.threads == {"probes_0"}  # never on the loop's thread
        status = service.status()[0]
        assert (status.runs, status.failures, status.graphs, status.fields) == (2, 0, ("load",), 1)
        assert status.has_data
        assert status.mean_duration is not None
        await service.close()

    asyncio.run(main())


def test_concurrent_requests_share_one_collection() -> None:
    async def main() -> None:
        probe = LoadFileProbe(delay=0.2)
        service = _service(probe, clock=FrozenClock(0.0))
        results = await asyncio.gather(*(service.collect() for _ in range(10)))
        assert probe.runs == 1
        assert all(r[0] is results[0][0] for r in results)
        await service.close()

    asyncio.run(main())


def test_a_slow_probe_never_blocks_the_loop() -> None:
    async def main() -> None:
        service = _service(LoadFileProbe(delay=0.5), clock=FrozenClock(0.0))
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        await service.collect()
        took = time.perf_counter() - started
        task.cancel()
        assert took >= 0.5
        assert ticks >= 20  # the loop kept answering every 10 ms while the probe slept
        await service.close()

    asyncio.run(main())


def test_failure_is_a_failed_collection_logged_once_per_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        clock = FrozenClock(0.0)
        root = tmp_path / "root"
        shutil.copytree(SMALL_ROOT, root)
        probe = LoadFileProbe(root=root)
        service = _service(probe, clock=clock, fresh=1.0)
        await service.collect()
        (root / "proc/loadavg").write_text("garbage\n")
        for _ in range(3):
            clock.advance(2)
            [failed] = await service.collect()
            assert not failed.ok
            assert failed.series == ()
            assert "unreadable loadavg" in failed.error
        (root / "proc/loadavg").unlink()
        clock.advance(2)
        [missing] = await service.collect()
        assert "No such file" in missing.error
        (root / "proc/loadavg").write_text("0.5 0.25 0.1 1/1 1\n")
        clock.advance(2)
        [back] = await service.collect()
        assert back.ok
        status = service.status()[0]
        assert (status.runs, status.failures, status.last_error) == (6, 4, "")
        # the graph stays known through failures (Munin then gets U values)
        assert "load" in service.graphs()
        await service.close()

    with caplog.at_level(logging.INFO, logger=LOG.name):
        asyncio.run(main())
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unreadable loadavg" in m for m in messages) == 1
    assert sum("No such file" in m for m in messages) == 1
    assert sum("works again" in m for m in messages) == 1


def test_unexpected_exception_is_contained(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(LoadFileProbe):
        def collect(self):  # type: ignore[no-untyped-def]
            raise KeyError("bug")

    with caplog.at_level(logging.ERROR, logger=LOG.name):
        collection = run_probe(Broken(), FrozenClock(5.0), LOG)
    assert collection.error == "unexpected KeyError: 'bug'"
    assert "unexpected failure" in caplog.text


def test_background_probes_run_on_their_interval_and_are_served_as_last_run() -> None:
    async def main() -> None:
        clock = FrozenClock(0.0)
        tls = LoadFileProbe(name="tls", background=True, interval=3600)
        http = LoadFileProbe(name="http", background=True, interval=60)
        local = LoadFileProbe()
        service = _service(tls, http, local, clock=clock)
        await service.start()
        assert service._task is not None
        service._task.cancel()  # driven by hand below, with the frozen clock
        assert await service.run_due() == 0
        assert [c.probe for c in await service.collect()] == ["load"]
        assert tls.runs == 0
        assert service.next_wait() == 1.0  # first run soon after start
        clock.advance(1.0)
        assert await service.run_due() == 1
        assert tls.runs == 1
        assert http.runs == 0
        clock.advance(0.5)  # staggered
        assert await service.run_due() == 1
        assert http.runs == 1
        collected = await service.collect()
        assert {c.probe for c in collected} == {"tls", "http", "load"}
        assert tls.runs == 1
        assert http.runs == 1
        clock.advance(60)
        assert await service.run_due() == 1
        assert (tls.runs, http.runs) == (1, 2)
        clock.advance(3600)
        assert await service.run_due() == 2
        assert (tls.runs, http.runs) == (2, 3)
        assert tls.threads == {"probes-bg_0"}  # not the on-demand thread
        await service.close()

    asyncio.run(main())


def test_background_schedule_runs_by_itself() -> None:
    async def main() -> None:
        from rempart.clock import SystemClock
        from rempart.services import probes as module

        probe = LoadFileProbe(name="tls", background=True, interval=0.05)
        service = ProbeService([probe], clock=SystemClock(), log=LOG)
        old = module.FIRST_DELAY
        module.FIRST_DELAY = 0.0
        try:
            await service.start()
            await asyncio.sleep(0.3)
        finally:
            module.FIRST_DELAY = old
            await service.close()
        assert probe.runs >= 1  # intervals under 1 s are raised to 1 s

    asyncio.run(main())


def test_status_lists_disabled_probes_and_graph_clashes(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        service = ProbeService(
            [LoadFileProbe(), LoadFileProbe(), LoadFileProbe(name="other")],
            clock=FrozenClock(0.0),
            log=LOG,
            disabled=["psi"],
        )
        await service.collect()
        assert list(service.graphs()) == ["load", "other_load"]
        status = {s.name: s for s in service.status()}
        assert not status["psi"].enabled
        assert status["load"].enabled
        found = await service.series("load")
        assert found is not None
        assert found[1] is not None
        assert await service.series("nope") is None
        await service.close()

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        asyncio.run(main())
    assert "given twice" in caplog.text
