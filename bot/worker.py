"""Work on webhook deliveries in the background, a bounded number at a time."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable

from cachetools import TTLCache
from gidgethub import sansio

from bot.logs import ContextLogger, get_logger

MAX_REMEMBERED_DELIVERIES = 100_000

Handle = Callable[[sansio.Event, ContextLogger], Awaitable[None]]


class Admission(enum.Enum):
    """The outcome of handing a delivery to the queue."""

    QUEUED = "queued"
    DUPLICATE = "duplicate"
    FULL = "full"


class DeliveryQueue:
    """A bounded queue of deliveries and a fixed number of workers.

    Delivery ids are remembered for a while, so a redelivery of one that was
    queued already is not handled again. A delivery whose handling failed is
    forgotten, so that a redelivery can try again.
    """

    def __init__(
        self, handle: Handle, *, workers: int, size: int, memory_seconds: float
    ) -> None:
        self._handle = handle
        self._queue: asyncio.Queue[tuple[sansio.Event, ContextLogger]] = asyncio.Queue(
            maxsize=size
        )
        self._seen: TTLCache[str, bool] = TTLCache(
            maxsize=MAX_REMEMBERED_DELIVERIES, ttl=memory_seconds
        )
        self._unfinished = 0
        self._worker_count = workers
        self._workers: list[asyncio.Task[None]] = []
        self._logger = get_logger(__name__)

    def submit(self, event: sansio.Event, logger: ContextLogger) -> Admission:
        """Queue a delivery unless it is a duplicate or the queue is full."""
        if event.delivery_id in self._seen:
            return Admission.DUPLICATE
        try:
            self._queue.put_nowait((event, logger))
        except asyncio.QueueFull:
            return Admission.FULL
        self._seen[event.delivery_id] = True
        self._unfinished += 1
        return Admission.QUEUED

    async def join(self) -> None:
        """Wait until every queued delivery has been handled."""
        await self._queue.join()

    def is_idle(self) -> bool:
        """Return whether no delivery is queued or being handled."""
        return self._unfinished == 0

    def start(self) -> None:
        """Start the workers."""
        self._workers = [
            asyncio.create_task(self._work(), name=f"delivery-worker-{number}")
            for number in range(self._worker_count)
        ]

    async def stop(self) -> None:
        """Cancel the workers and wait for them to end."""
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if not self._queue.empty():
            self._logger.warning(
                "Stopped with %d deliveries not handled; redeliver them from "
                "the app's settings page.",
                self._queue.qsize(),
            )

    async def _work(self) -> None:
        while True:
            event, logger = await self._queue.get()
            try:
                await self._handle(event, logger)
            except asyncio.CancelledError:
                self._seen.pop(event.delivery_id, None)
                raise
            except Exception:
                self._seen.pop(event.delivery_id, None)
                logger.exception("Handling the delivery failed.")
            finally:
                self._unfinished -= 1
                self._queue.task_done()
