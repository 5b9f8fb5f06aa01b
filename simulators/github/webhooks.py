"""Deliver webhooks as GitHub does: signed JSON POSTs, recorded, never retried."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import ipaddress
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 10.0  # GitHub marks a delivery failed after 10 seconds.
HOOKSHOT_VERSION = "5f3b0a1"  # Stands for the build of GitHub's webhook sender.

# Deliveries announced while an API request is handled wait in this list until
# the response has been sent, because GitHub sends webhooks after responding.
pending_deliveries: contextvars.ContextVar[list[tuple[str, dict[str, Any]]] | None]
pending_deliveries = contextvars.ContextVar("pending_deliveries", default=None)


@dataclass
class Delivery:
    """One webhook delivery attempt and the receiver's response."""

    event: str
    action: str | None
    delivery_id: str
    payload: dict[str, Any]
    body: bytes
    status: int | None = None  # None when the delivery failed
    error: str | None = None
    redelivery: bool = False


def encode_body(payload: dict[str, Any]) -> bytes:
    """Encode a payload as GitHub does: compact UTF-8 JSON, non-ASCII kept."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes, digest: str) -> str:
    """Return the X-Hub-Signature(-256) value of body: `<digest>=<hex HMAC>`."""
    mac = hmac.new(secret.encode(), body, digest).hexdigest()
    return f"{digest}={mac}"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSender:
    """Signs, sends and records webhook deliveries to one URL."""

    def __init__(
        self, *, secret: str, app_id: int, on_change: Callable[[], None]
    ) -> None:
        self.secret = secret
        self.app_id = app_id
        self.hook_id = 1
        self.webhook_url: str | None = None
        self.deliveries: list[Delivery] = []
        self._on_change = on_change
        self._tasks: set[asyncio.Task[Any]] = set()

    def headers(self, event: str, delivery_id: str, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": f"GitHub-Hookshot/{HOOKSHOT_VERSION}",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Hook-ID": str(self.hook_id),
            "X-GitHub-Hook-Installation-Target-ID": str(self.app_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-Hub-Signature": signature(self.secret, body, "sha1"),
            "X-Hub-Signature-256": signature(self.secret, body, "sha256"),
        }

    def announce(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver a payload in the background, after the current response if any."""
        waiting = pending_deliveries.get()
        if waiting is not None:
            waiting.append((event, payload))
        else:
            self.start(event, payload)

    def start(self, event: str, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self.deliver(event, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(
        self, event: str, payload: dict[str, Any], delivery_id: str | None = None
    ) -> int | None:
        """Send a payload now; return the receiver's status, None if it failed."""
        delivery = Delivery(
            event=event,
            action=payload.get("action"),
            delivery_id=delivery_id or str(uuid.uuid4()),
            payload=payload,
            body=encode_body(payload),
        )
        return await self._send(delivery)

    async def redeliver(self, delivery_id: str) -> int | None:
        """Send a recorded delivery again with the same GUID and the same body.

        Raises KeyError when no delivery has this GUID.
        """
        for original in self.deliveries:
            if original.delivery_id == delivery_id:
                break
        else:
            raise KeyError(delivery_id)
        delivery = Delivery(
            event=original.event,
            action=original.action,
            delivery_id=original.delivery_id,
            payload=original.payload,
            body=original.body,
            redelivery=True,
        )
        return await self._send(delivery)

    async def _send(self, delivery: Delivery) -> int | None:
        url = self.webhook_url
        if url is None:
            delivery.error = "no webhook URL is set"
        elif not is_loopback_url(url):
            delivery.error = f"webhook URL {url} is not a loopback address"
        else:
            await self._post(url, delivery)
        if delivery.error is not None:
            logger.warning(
                "webhook delivery %s (%s) failed: %s",
                delivery.delivery_id,
                delivery.event,
                delivery.error,
            )
        self.deliveries.append(delivery)
        self._on_change()
        return delivery.status

    async def _post(self, url: str, delivery: Delivery) -> None:
        headers = self.headers(delivery.event, delivery.delivery_id, delivery.body)
        # Each delivery has its own session, so none is left open if the delivery
        # is cancelled or the simulator is never served.
        timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, trust_env=False) as session,
                session.post(url, data=delivery.body, headers=headers) as response,
            ):
                await response.read()
                delivery.status = response.status
        except TimeoutError:
            delivery.error = f"timed out after {DELIVERY_TIMEOUT:g} s"
        except aiohttp.ClientError as error:
            delivery.error = f"{type(error).__name__}: {error}"

    def is_idle(self) -> bool:
        """Return whether no delivery is in flight."""
        return not self._tasks

    async def wait_idle(self) -> None:
        """Wait until every delivery in flight, and any it led to, has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, grace: float = 1.0) -> None:
        """Wait up to grace seconds for deliveries in flight, cancel the rest."""
        tasks = set(self._tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
