"""Adaptive micro-batching: concurrent requests share one predict call.

A scikit-learn predict call has a large fixed cost (input validation, one Python call per tree)
and a small cost per row, so under load it pays to predict many requests' rows at once. The
batcher never delays a lone request: a submitted request is flushed on the next turn of the
event loop, by which time every request whose bytes arrived in the same poll has joined it.
Only while other requests are still being read and parsed (``arriving``) does a batch wait for
them, and never longer than ``max_wait`` after its oldest member arrived. Under steady load a
batch also waits (again at most ``max_wait``) until it is as large as recent batches (a peak
that decays by 20% per batch): otherwise an inline predict splits the clients into groups that
take turns, each predicting a small batch. After load stops, the decay brings a lone request
back to no wait within a few requests. While a predict runs
(inline, blocking the loop, or in one worker thread) new requests queue up and form the next
batch, so batches grow with load by themselves. Results are scattered back in order: request k
gets rows [start_k, end_k) of every output array.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

Outputs = tuple[np.ndarray, ...]
PredictFn = Callable[[np.ndarray], Outputs]


class MicroBatcher:
    def __init__(
        self,
        *,
        predict: PredictFn,
        max_rows: int,
        max_wait: float,
        enabled: bool = True,
        threaded: bool = False,
    ) -> None:
        self._predict = predict
        self.max_rows = max(1, max_rows)
        self.max_wait = max_wait
        self.enabled = enabled
        self._executor = ThreadPoolExecutor(1, "predict") if threaded else None
        self._pending: deque[tuple[np.ndarray, asyncio.Future[Outputs], float]] = deque()
        self._scheduled: asyncio.Handle | asyncio.TimerHandle | None = None
        self._busy = False
        self.arriving = 0
        self.batches = 0
        self._peak = 1.0

    def arrive(self) -> None:
        """A request started reading its body: a batch may wait a little for it."""
        self.arriving += 1

    def depart(self) -> None:
        """That request submitted (or failed): stop waiting for it."""
        self.arriving -= 1
        if self.arriving == 0 and self._pending and not self._busy:
            self._schedule(0.0)

    async def submit(self, x: np.ndarray) -> Outputs:
        if not self.enabled:
            return await self._run(x)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Outputs] = loop.create_future()
        self._pending.append((x, fut, time.monotonic()))
        if not self._busy:
            self._schedule(0.0 if self.arriving == 0 else self.max_wait)
        return await fut

    async def _run(self, x: np.ndarray) -> Outputs:
        if self._executor is None:
            return self._predict(x)
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._predict, x)

    def _schedule(self, delay: float) -> None:
        current = self._scheduled
        if current is not None:
            if delay > 0 or not isinstance(current, asyncio.TimerHandle):
                return
            current.cancel()
        loop = asyncio.get_running_loop()
        self._scheduled = (
            loop.call_later(delay, self._flush) if delay > 0 else loop.call_soon(self._flush)
        )

    def _take(self) -> list[tuple[np.ndarray, asyncio.Future[Outputs], float]]:
        batch: list[tuple[np.ndarray, asyncio.Future[Outputs], float]] = []
        rows = 0
        while self._pending:
            x = self._pending[0][0]
            if batch and rows + x.shape[0] > self.max_rows:
                break
            batch.append(self._pending.popleft())
            rows += x.shape[0]
        return [b for b in batch if not b[1].done()]

    def _flush(self) -> None:
        self._scheduled = None
        if self._pending and len(self._pending) < self._peak and self.max_wait > 0:
            # under steady load the last batch had company: give the rest of those clients
            # (whose responses just went out) until max_wait after the oldest request to join
            waited = time.monotonic() - self._pending[0][2]
            rows = sum(p[0].shape[0] for p in self._pending)
            if waited < self.max_wait and rows < self.max_rows:
                loop = asyncio.get_running_loop()
                self._scheduled = loop.call_later(self.max_wait - waited, self._flush)
                return
        batch = self._take()
        self._peak = max(1.0, 0.8 * self._peak, float(len(batch)))
        if not batch:
            return
        self.batches += 1
        x = batch[0][0] if len(batch) == 1 else np.concatenate([b[0] for b in batch])
        if self._executor is None:
            try:
                out = self._predict(x)
            except Exception as exc:
                self._fail(batch, exc)
            else:
                self._scatter(batch, out)
            self._after()
            return
        self._busy = True
        cf = self._executor.submit(self._predict, x)
        loop = asyncio.get_running_loop()
        cf.add_done_callback(lambda f: loop.call_soon_threadsafe(self._done, batch, f))

    def _done(
        self, batch: list[tuple[np.ndarray, asyncio.Future[Outputs], float]], f: Future[Outputs]
    ) -> None:
        self._busy = False
        exc = f.exception()
        if exc is not None:
            self._fail(batch, exc)
        else:
            self._scatter(batch, f.result())
        self._after()

    def _after(self) -> None:
        if self._pending:
            self._schedule(0.0)

    @staticmethod
    def _fail(
        batch: list[tuple[np.ndarray, asyncio.Future[Outputs], float]], exc: BaseException
    ) -> None:
        for _, fut, _ in batch:
            if not fut.done():
                fut.set_exception(exc)

    @staticmethod
    def _scatter(
        batch: list[tuple[np.ndarray, asyncio.Future[Outputs], float]], out: Outputs
    ) -> None:
        start = 0
        for x, fut, _ in batch:
            end = start + x.shape[0]
            if not fut.done():
                fut.set_result(tuple(a[start:end] for a in out))
            start = end

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
