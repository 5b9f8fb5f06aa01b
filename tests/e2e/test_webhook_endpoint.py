"""The webhook endpoint checks signatures, parses bodies and remembers deliveries."""

from __future__ import annotations

import hmac
import io
import json

import aiohttp
import pytest

from demo.stack import WEBHOOK_SECRET
from tests.e2e.helpers import (
    OWNER,
    REPO,
    build_and_deploy,
    create_repository,
    settle,
)


def sign(body: bytes, digest: str = "sha256", secret: str = WEBHOOK_SECRET) -> str:
    return f"{digest}=" + hmac.new(secret.encode(), body, digest).hexdigest()


def status_payload(stack, sha: str) -> dict:
    delivery = next(
        item
        for item in stack.github.deliveries
        if item.event == "status" and item.payload["sha"] == sha
    )
    return delivery.payload


async def post(stack, body: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.bot_url}/webhooks", data=io.BytesIO(body), headers=headers
        ) as response,
    ):
        await response.read()
        return response


def headers_for(event: str, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "test-delivery",
        **extra,
    }


@pytest.mark.parametrize(
    "signature_headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "md5=abc"},
        {"X-Hub-Signature": "SHA1"},
    ],
    ids=["missing", "wrong", "unknown-digest", "sha1-only"],
)
async def test_bad_signature_rejected_before_work(stack, signature_headers):
    sha = create_repository(stack)
    await stack.github.create_status(OWNER, REPO, sha, "pending", context="cite/build")
    await settle(stack)
    payload = status_payload(stack, sha)
    payload["state"] = "success"
    body = json.dumps(payload).encode()
    if signature_headers.get("X-Hub-Signature") == "SHA1":
        signature_headers = {"X-Hub-Signature": sign(body, "sha1")}
    requests_before = len(stack.github.requests)

    response = await post(stack, body, headers_for("status", **signature_headers))
    await settle(stack)

    assert response.status == 401
    assert len(stack.github.requests) == requests_before
    assert stack.github.deployments(OWNER, REPO) == []


async def test_signature_with_other_secret_rejected(stack):
    body = b'{"zen": "x"}'
    response = await post(
        stack,
        body,
        headers_for("ping", **{"X-Hub-Signature-256": sign(body, secret="other")}),
    )
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "event"),
    [(b"{not json", "status"), (b"[1, 2]", "status"), (b'{"a": 1}', None)],
    ids=["not-json", "not-object", "no-event-header"],
)
async def test_malformed_delivery_is_bad_request(stack, body, event):
    headers = headers_for(event or "status", **{"X-Hub-Signature-256": sign(body)})
    if event is None:
        del headers["X-GitHub-Event"]
    response = await post(stack, body, headers)
    assert response.status == 400


async def test_ping_answered(stack):
    body = json.dumps({"zen": "Design for failure.", "hook_id": 1}).encode()
    response = await post(
        stack, body, headers_for("ping", **{"X-Hub-Signature-256": sign(body)})
    )
    assert response.status == 200


async def test_unhandled_event_acknowledged(stack):
    create_repository(stack)
    requests_before = len(stack.github.requests)
    body = json.dumps({"action": "opened", "installation": {"id": 1}}).encode()
    response = await post(
        stack, body, headers_for("issues", **{"X-Hub-Signature-256": sign(body)})
    )
    await settle(stack)
    assert response.status == 202
    assert len(stack.github.requests) == requests_before


async def test_non_ascii_payload_accepted(stack):
    create_repository(stack)
    sha = await stack.github.push(
        OWNER, REPO, "main", {"a.txt": "ü"}, "Añadir función 🚀✨ — ready"
    )

    result = await build_and_deploy(stack, sha)

    assert result["state"] == "success"
    status_delivery = next(
        item for item in stack.github.deliveries if item.event == "status"
    )
    assert "🚀".encode() in status_delivery.body
    assert status_delivery.status == 202


async def test_redelivery_does_nothing_twice(stack):
    sha = create_repository(stack)
    await build_and_deploy(stack, sha)
    await settle(stack)
    requests_before = len(stack.github.requests)
    for delivery in list(stack.github.deliveries):
        if delivery.event in ("status", "deployment"):
            assert await stack.github.redeliver(delivery.delivery_id) == 200
    await settle(stack)

    assert len(stack.github.requests) == requests_before
    assert len(stack.github.deployments(OWNER, REPO)) == 1


async def test_same_event_under_new_delivery_id_deploys_once(stack):
    sha = create_repository(stack)
    await build_and_deploy(stack, sha)
    await settle(stack)
    deployment = stack.github.deployments(OWNER, REPO)[0]
    statuses_before = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
    for delivery in list(stack.github.deliveries):
        if delivery.event in ("status", "deployment"):
            assert await stack.github.deliver(delivery.event, delivery.payload) == 202
    await settle(stack)

    assert len(stack.github.deployments(OWNER, REPO)) == 1
    statuses = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
    assert statuses == statuses_before


async def test_deliveries_without_id_are_not_duplicates(stack):
    create_repository(stack)
    statuses = []
    for _ in range(2):
        body = json.dumps({"action": "opened", "installation": {"id": 1}}).encode()
        headers = headers_for("issues", **{"X-Hub-Signature-256": sign(body)})
        del headers["X-GitHub-Delivery"]
        statuses.append((await post(stack, body, headers)).status)
    assert statuses == [202, 202]


async def test_large_delivery_accepted(stack):
    body = json.dumps({"zen": "x" * (2 * 1024 * 1024), "hook_id": 1}).encode()
    response = await post(
        stack, body, headers_for("ping", **{"X-Hub-Signature-256": sign(body)})
    )
    assert response.status == 200
