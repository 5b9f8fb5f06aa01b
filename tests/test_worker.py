"""The delivery queue bounds the work, returns 503 when full and skips duplicates."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from aiohttp import web
from gidgethub import sansio

from bot.logs import get_logger
from bot.webhook import make_view
from bot.worker import Admission, DeliveryQueue

SECRET = "queue-test-secret"


def event(delivery_id: str) -> sansio.Event:
    return sansio.Event({"action": "x"}, event="status", delivery_id=delivery_id)


class BlockingHandler:
    """Records deliveries and holds each one until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.first_started = asyncio.Event()
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self, item: sansio.Event, logger) -> None:
        self.started.append(item.delivery_id)
        self.first_started.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("handler failed")


async def test_queue_full_rejects():
    handler = BlockingHandler()
    queue = DeliveryQueue(handler, workers=1, size=1, memory_seconds=60)
    queue.start()
    try:
        assert queue.submit(event("a"), get_logger("t")) is Admission.QUEUED
        await handler.first_started.wait()
        assert queue.submit(event("b"), get_logger("t")) is Admission.QUEUED
        assert queue.submit(event("c"), get_logger("t")) is Admission.FULL
        handler.release.set()
        await queue.join()
        assert handler.started == ["a", "b"]
        assert queue.is_idle()
    finally:
        await queue.stop()


async def test_duplicate_delivery_skipped():
    handler = BlockingHandler()
    handler.release.set()
    queue = DeliveryQueue(handler, workers=2, size=10, memory_seconds=60)
    queue.start()
    try:
        assert queue.submit(event("a"), get_logger("t")) is Admission.QUEUED
        await queue.join()
        assert queue.submit(event("a"), get_logger("t")) is Admission.DUPLICATE
        await queue.join()
        assert handler.started == ["a"]
    finally:
        await queue.stop()


async def test_failed_delivery_can_be_redelivered(caplog):
    handler = BlockingHandler()
    handler.fail = True
    handler.release.set()
    queue = DeliveryQueue(handler, workers=1, size=10, memory_seconds=60)
    queue.start()
    try:
        queue.submit(event("a"), get_logger("t", delivery="a"))
        await queue.join()
        assert "Handling the delivery failed." in caplog.text
        assert "delivery=a" in caplog.text or "a" in caplog.text
        handler.fail = False
        assert queue.submit(event("a"), get_logger("t")) is Admission.QUEUED
        await queue.join()
        assert handler.started == ["a", "a"]
    finally:
        await queue.stop()


async def test_endpoint_answers_503_when_full(aiohttp_client):
    handler = BlockingHandler()
    queue = DeliveryQueue(handler, workers=1, size=1, memory_seconds=60)
    app = web.Application()
    app.router.add_post("/webhooks", make_view(queue, SECRET))
    client = await aiohttp_client(app)
    queue.start()
    try:
        statuses = []
        for number in range(3):
            body = json.dumps({"action": "created", "n": number}).encode()
            signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            response = await client.post(
                "/webhooks",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "status",
                    "X-GitHub-Delivery": f"d{number}",
                    "X-Hub-Signature-256": f"sha256={signature}",
                },
            )
            statuses.append(response.status)
            if number == 0:
                await handler.first_started.wait()
        assert statuses == [202, 202, 503]
        handler.release.set()
        await queue.join()
    finally:
        await queue.stop()
