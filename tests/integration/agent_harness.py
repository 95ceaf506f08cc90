"""The agent run in-process by the integration tests: start it, wait for its sources, stop it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from rempart.adapters.firewall import Firewall
from rempart.clock import SystemClock
from rempart.services.agent import Agent, AgentOptions

__all__ = ["running", "until"]


@asynccontextmanager
async def running(
    options: AgentOptions, firewall: Firewall, log: logging.Logger
) -> AsyncIterator[Agent]:
    """``Agent.run`` as a task, once every source is open; stopped (and awaited) at the end."""
    agent = Agent(options, clock=SystemClock(), log=log, firewall=firewall)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    for _ in range(300):  # every source open
        await asyncio.sleep(0.01)
        if task.done() or (agent._lanes and all(lane.source is not None for lane in agent._lanes)):
            break
    await asyncio.sleep(0.1)
    try:
        yield agent
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``check()`` became true within ``timeout`` seconds (polled every 20 ms)."""
    for _ in range(int(timeout / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()
