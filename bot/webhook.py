"""The webhook endpoint: verify, parse and queue each delivery, then respond."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web
from gidgethub import ValidationFailure, sansio

from bot.logs import ContextLogger, get_logger
from bot.worker import Admission, DeliveryQueue

logger = get_logger(__name__)


def delivery_logger(event: sansio.Event) -> ContextLogger:
    """Return a logger carrying the delivery's ids."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    return get_logger(
        "bot.delivery",
        delivery=event.delivery_id,
        event=event.event,
        action=data.get("action"),
        installation=(data.get("installation") or {}).get("id"),
        repository=(data.get("repository") or {}).get("full_name"),
    )


def parse_delivery(headers: Any, body: bytes, secret: str) -> sansio.Event:
    """Verify the SHA-256 signature and parse the body into an event.

    Raises ValidationFailure for a missing or wrong signature, and ValueError
    for a request that is not a well-formed delivery. The legacy SHA-1
    signature alone is not accepted.
    """
    signature = headers.get("X-Hub-Signature-256")
    if not signature:
        raise ValidationFailure("the X-Hub-Signature-256 header is missing")
    sansio.validate_event(body, signature=signature, secret=secret)
    event_name = headers.get("X-GitHub-Event")
    if not event_name:
        raise ValueError("the X-GitHub-Event header is missing")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("the body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    # A delivery without an id cannot be distinguished from a redelivery; give it a
    # fresh one so that it is handled rather than taken for a duplicate.
    delivery_id = headers.get("X-GitHub-Delivery") or f"missing-{uuid.uuid4()}"
    return sansio.Event(data, event=event_name, delivery_id=delivery_id)


def make_view(queue: DeliveryQueue, secret: str) -> Any:
    """Return the aiohttp handler of ``POST /webhooks``."""

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        delivery_id = request.headers.get("X-GitHub-Delivery", "unknown")
        try:
            event = parse_delivery(request.headers, body, secret)
        except ValidationFailure as error:
            logger.warning(
                "Rejected delivery %s: %s.", delivery_id, error, extra={"status": 401}
            )
            return web.json_response({"message": "invalid signature"}, status=401)
        except ValueError as error:
            logger.warning("Rejected delivery %s: %s.", delivery_id, error)
            return web.json_response({"message": str(error)}, status=400)

        log = delivery_logger(event)
        if event.event == "ping":
            log.info("Received ping: %s", event.data.get("zen", ""))
            return web.json_response({"message": "pong"})
        admission = queue.submit(event, log)
        log.info("Received delivery; %s.", admission.value)
        if admission is Admission.FULL:
            return web.json_response(
                {"message": "too many deliveries in progress; redeliver later"},
                status=503,
            )
        status = 200 if admission is Admission.DUPLICATE else 202
        return web.json_response({"message": admission.value}, status=status)

    return receive
