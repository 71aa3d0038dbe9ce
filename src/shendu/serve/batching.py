"""Dynamic batching: concurrent requests for one model run as one batch.

Each model has one :class:`Batcher`. A request puts a job (its inputs and options) in the queue
and awaits its own future. The model runs one batch at a time, in the service's inference
thread:

- when the model is free, a batch starts at once with what is queued (up to
  ``max_batch_size`` inputs), or, with ``timeout_s > 0``, after waiting up to ``timeout_s``
  for the batch to fill;
- while a batch runs, new requests queue up, and the next batch starts with all of them the
  moment the model is free again.

So a lone request never waits, and under load batches fill by themselves while the HTTP side
reads the next requests in parallel with the model (torch releases the GIL inside its kernels).
The batch is started from the request handler itself (not from a background task that the event
loop would schedule only after a whole burst of requests had been read), which is what keeps
reading and computing overlapped: ``benchmarks/serve_load.py`` measured both (RESULTS.md).

Jobs with other options (``top_k``, ``explain``...) wait for a batch of their own. A batch
that fails on one bad input (:class:`~shendu.errors.InputError`) is run again job by job, so
only the request that sent the bad input gets the error.
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
        timeout_s: how long a batch waits to fill when the model is free (0: it starts at once).
        executor: where ``predict`` runs (one thread: batches run one at a time).
        on_batch: called with each batch's size (metrics).
    """

    def __init__(self, predict: Callable[[list[Any], dict[str, Any]], list[Any]], max_batch_size: int,
                 timeout_s: float, executor: Executor, on_batch: Callable[[int], None] | None = None) -> None:
        self.predict, self.max_batch_size, self.timeout_s = predict, max_batch_size, timeout_s
        self.executor, self.on_batch = executor, on_batch
        self.queue: deque[Job] = deque()
        self.running = False
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def depth(self) -> int:
        """Inputs queued, not yet running."""
        return sum(len(job.inputs) for job in self.queue)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for job in self.queue:
            if not job.future.done():
                job.future.cancel()
        self.queue.clear()

    async def submit(self, inputs: list[Any], options: dict[str, Any]) -> tuple[list[Any], int]:
        """Queue ``inputs`` and wait for their results and the size of the batch they ran in
        (a caller that gives up cancels its future, and a cancelled job is skipped)."""
        job = Job(list(inputs), tuple(sorted(options.items())), asyncio.get_running_loop().create_future())
        self.queue.append(job)
        if not self.running:
            if self.timeout_s <= 0 or self.depth >= self.max_batch_size:
                self._launch()
            elif self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self.timeout_s, self._launch)
        return await job.future

    def _take(self) -> list[Job]:
        """The next batch: the first live job and the queued jobs with its options that fit."""
        while self.queue and self.queue[0].future.done():
            self.queue.popleft()
        if not self.queue:
            return []
        first = self.queue.popleft()
        batch, size, kept = [first], len(first.inputs), deque()
        while self.queue:
            job = self.queue.popleft()
            if job.future.done():
                continue
            if job.options == first.options and size + len(job.inputs) <= self.max_batch_size:
                batch.append(job)
                size += len(job.inputs)
            else:
                kept.append(job)
        self.queue = kept
        return batch

    def _launch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.running:
            return
        batch = self._take()
        if not batch:
            return
        self.running = True
        inputs = [x for job in batch for x in job.inputs]
        if self.on_batch is not None:
            self.on_batch(len(inputs))
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, self.predict, inputs, dict(batch[0].options))
        future.add_done_callback(lambda f: self._finished(batch, len(inputs), f))

    def _finished(self, batch: list[Job], size: int, future: asyncio.Future) -> None:
        exc = future.exception() if not future.cancelled() else asyncio.CancelledError()
        if isinstance(exc, InputError) and len(batch) > 1:
            task = asyncio.get_running_loop().create_task(self._isolate(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if exc is not None:
            if not isinstance(exc, InputError | asyncio.CancelledError):
                log.error("a batch of %d inputs failed: %s", size, exc, exc_info=exc)
            for job in batch:
                _settle(job, exc=exc)
        else:
            results, start = future.result(), 0
            for job in batch:
                _settle(job, (results[start:start + len(job.inputs)], size))
                start += len(job.inputs)
        self._next()

    async def _isolate(self, batch: list[Job]) -> None:
        """Run each job of a failed batch alone: only the bad one gets the error."""
        loop = asyncio.get_running_loop()
        for job in batch:
            try:
                results = await loop.run_in_executor(self.executor, self.predict, job.inputs, dict(job.options))
                _settle(job, (results, len(job.inputs)))
            except Exception as exc:  # noqa: BLE001 - handed to that caller
                _settle(job, exc=exc)
        self._next()

    def _next(self) -> None:
        """The model is free: what queued while it ran goes at once (it has waited already)."""
        self.running = False
        if self.queue:
            self._launch()


def _settle(job: Job, results: tuple[list[Any], int] | None = None, exc: BaseException | None = None) -> None:
    if job.future.done():
        return
    if exc is not None:
        job.future.set_exception(exc)
    else:
        job.future.set_result(results)
