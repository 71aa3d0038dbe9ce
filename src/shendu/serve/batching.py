"""Dynamic batching: concurrent requests for one model run as one batch.

Each model has one :class:`Batcher`: requests put a job (their inputs and options) on its
queue and await their own future; one asyncio task takes the first job, waits up to
``timeout_s`` for more (or until ``max_batch_size`` inputs are gathered), runs the whole batch
through the model in the service's single inference thread, and hands each caller its own
slice of the results. Jobs with other options (``top_k``, ``explain``...) wait for the next
batch; while a batch runs, new requests queue up and form the next one, so under load batches
fill without waiting for the timeout at all.

A batch that fails on one bad input (:class:`~shendu.errors.InputError`) is run again job by
job, so only the request that sent the bad input gets the error.

Why our own and not LitServe: see ``benchmarks/serve_load.py`` and ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from shendu.errors import InputError

log = logging.getLogger(__name__)

Options = tuple[tuple[str, Any], ...]


@dataclass
class Job:
    inputs: list[Any]
    options: Options
    future: asyncio.Future = field(repr=False)


class Batcher:
    """Args:
        predict: ``predict(inputs, options_dict) -> results`` (one result per input), run in
            ``executor``.
        max_batch_size: the most inputs in one batch (a larger single request runs alone).
        timeout_s: how long the first job of a batch waits for company.
        executor: where ``predict`` runs (one thread: batches run one at a time).
        on_batch: called with each batch's size (metrics).
    """

    def __init__(self, predict: Callable[[list[Any], dict[str, Any]], list[Any]], max_batch_size: int,
                 timeout_s: float, executor: Executor, on_batch: Callable[[int], None] | None = None) -> None:
        self.predict, self.max_batch_size, self.timeout_s = predict, max_batch_size, timeout_s
        self.executor, self.on_batch = executor, on_batch
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.waiting: deque[Job] = deque()
        self.depth = 0  # inputs queued, not yet running
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def submit(self, inputs: list[Any], options: dict[str, Any]) -> tuple[list[Any], int]:
        """Queue ``inputs`` and wait for their results and the size of the batch they ran in
        (the future is cancelled if the caller gives up, and a cancelled job is skipped)."""
        job = Job(list(inputs), tuple(sorted(options.items())), asyncio.get_running_loop().create_future())
        self.depth += len(job.inputs)
        self.queue.put_nowait(job)
        return await job.future

    async def _next(self, timeout: float | None) -> Job | None:
        if self.waiting:
            return self.waiting.popleft()
        if timeout is None:
            return await self.queue.get()
        try:
            return self.queue.get_nowait() if timeout <= 0 else await asyncio.wait_for(self.queue.get(), timeout)
        except (asyncio.QueueEmpty, TimeoutError):
            return None

    async def _gather(self) -> list[Job]:
        loop = asyncio.get_running_loop()
        first = await self._next(None)
        batch, size = [first], len(first.inputs)
        deadline = loop.time() + self.timeout_s
        held: list[Job] = []
        while size < self.max_batch_size:
            job = await self._next(max(0.0, deadline - loop.time()))
            if job is None:
                break
            if job.options != first.options or size + len(job.inputs) > self.max_batch_size:
                held.append(job)  # the next batch starts with it
                if size + len(job.inputs) > self.max_batch_size:
                    break
                continue
            batch.append(job)
            size += len(job.inputs)
        self.waiting.extendleft(reversed(held))
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            self.depth -= sum(len(job.inputs) for job in batch)
            batch = [job for job in batch if not job.future.done()]  # callers that gave up
            if not batch:
                continue
            inputs = [x for job in batch for x in job.inputs]
            options = dict(batch[0].options)
            if self.on_batch is not None:
                self.on_batch(len(inputs))
            try:
                results = await loop.run_in_executor(self.executor, self.predict, inputs, options)
            except InputError as exc:
                if len(batch) == 1:
                    _settle(batch[0], exc=exc)
                    continue
                for job in batch:  # find the request with the bad input; the others still get results
                    try:
                        alone = await loop.run_in_executor(self.executor, self.predict, job.inputs, options)
                        _settle(job, (alone, len(job.inputs)))
                    except Exception as job_exc:  # noqa: BLE001 - handed to that caller
                        _settle(job, exc=job_exc)
                continue
            except Exception as exc:  # noqa: BLE001 - every caller of the batch gets it
                log.exception("a batch of %d inputs failed", len(inputs))
                for job in batch:
                    _settle(job, exc=exc)
                continue
            start = 0
            for job in batch:
                _settle(job, (results[start:start + len(job.inputs)], len(inputs)))
                start += len(job.inputs)


def _settle(job: Job, results: tuple[list[Any], int] | None = None, exc: BaseException | None = None) -> None:
    if job.future.done():
        return
    if exc is not None:
        job.future.set_exception(exc)
    else:
        job.future.set_result(results)
