"""Tests of the webhooks the GitHub simulator sends: headers, signatures, payloads."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiohttp import web

from simulators.github import GitHubSimulator
from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import (
    APP_ID,
    OWNER,
    PAYLOADS,
    REPO,
    SECRET,
    repo_path,
    schema_errors,
    signature_matches,
)


def delivered(event: str):
    """Return a wait_for predicate: the deliveries of an event, once there are any."""
    return lambda sim: [d for d in sim.deliveries if d.event == event]


async def test_push_webhook_signed_and_valid(sim, receiver, repository):
    sha = await sim.push(
        OWNER, REPO, "main", {"app.py": "print('hé')\n"}, "Add feature 🚀"
    )
    [delivery] = await sim.wait_for(delivered("push"))
    assert delivery.status == 202
    [received] = receiver.of("push")
    assert signature_matches(received)
    assert schema_errors("push", received.payload) == []
    payload = received.payload
    assert payload["after"] == sha
    assert payload["ref"] == "refs/heads/main"
    assert payload["head_commit"]["message"] == "Add feature 🚀"
    assert payload["head_commit"]["added"] == ["app.py"]
    assert payload["installation"]["id"] == sim.installation_for(repository).id
    assert payload["organization"]["login"] == OWNER
    assert "Add feature 🚀".encode() in received.body


async def test_webhook_headers_as_github_sends(sim, receiver, repository):
    await sim.push(OWNER, REPO, "main", {"a": "1"}, "Change")
    await sim.wait_for(delivered("push"))
    [received] = receiver.received
    headers = received.headers
    assert headers["X-GitHub-Event"] == "push"
    assert uuid.UUID(headers["X-GitHub-Delivery"]).version == 4
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert headers["Content-Type"] == "application/json"
    assert headers["X-GitHub-Hook-Installation-Target-ID"] == str(APP_ID)
    assert headers["X-GitHub-Hook-Installation-Target-Type"] == "integration"
    assert headers["X-GitHub-Hook-ID"].isdigit()


async def test_push_new_branch_and_deletion(sim, receiver, repository):
    main = repository.head()
    sha = await sim.push(OWNER, REPO, "topic", {"b": "2"}, "Start topic")
    await sim.delete_branch(OWNER, REPO, "topic")
    pushes = await sim.wait_for(lambda s: len(delivered("push")(s)) == 2)
    assert pushes
    created, deleted = sorted(
        (r.payload for r in receiver.of("push")), key=lambda p: p["deleted"]
    )
    assert created["created"] is True
    assert created["before"] == "0" * 40
    assert [c["id"] for c in created["commits"]] == [sha]
    assert repository.commits[sha].parents == [main]
    assert deleted["deleted"] is True
    assert deleted["after"] == "0" * 40
    assert deleted["head_commit"] is None
    for payload in (created, deleted):
        assert schema_errors("push", payload) == []


async def test_status_webhook_lists_branches(sim, receiver, repository):
    sha = repository.head()
    topic = await sim.push(OWNER, REPO, "topic", {"t": "1"}, "Topic")
    await sim.create_status(
        OWNER, REPO, sha, "success", context="cite/build", creator="ci-bot"
    )
    [delivery] = await sim.wait_for(delivered("status"))
    assert delivery.status == 202
    [received] = receiver.of("status")
    assert signature_matches(received)
    payload = received.payload
    assert schema_errors("status", payload) == []
    assert payload["sha"] == sha
    assert payload["state"] == "success"
    assert payload["context"] == "cite/build"
    assert payload["sender"]["login"] == "ci-bot"
    branches = {b["name"]: b["commit"]["sha"] for b in payload["branches"]}
    assert branches == {"main": sha, "topic": topic}


async def test_status_from_app_sends_webhook(sim, gh, receiver, repository):
    await gh.post(
        repo_path(f"/statuses/{repository.head()}"),
        data={"state": "pending", "context": "cite/deploy"},
    )
    [delivery] = await sim.wait_for(delivered("status"))
    assert delivery.payload["sender"]["login"] == "cite[bot]"
    assert delivery.payload["sender"]["type"] == "Bot"
    assert schema_errors("status", delivery.payload) == []


async def test_webhook_sent_after_response(sim, gh, receiver, repository):
    await gh.post(repo_path(f"/statuses/{repository.head()}"), data={"state": "error"})
    await sim.wait_for(delivered("status"))
    record_index = next(
        i for i, r in enumerate(sim.requests) if r.path.endswith(repository.head())
    )
    assert sim.requests[record_index].status == 201
    assert len(receiver.of("status")) == 1


async def test_deployment_webhooks_valid(sim, gh, receiver, repository):
    deployment = await gh.post(
        repo_path("/deployments"),
        data={
            "ref": "main",
            "required_contexts": [],
            "environment": "staging",
            "payload": {"release": "blue"},
        },
    )
    await gh.post(
        repo_path(f"/deployments/{deployment['id']}/statuses"),
        data={"state": "success", "environment_url": "https://staging.example.com"},
    )
    await sim.wait_for(delivered("deployment_status"))
    [created] = receiver.of("deployment")
    [status] = receiver.of("deployment_status")
    assert signature_matches(created)
    assert signature_matches(status)
    assert schema_errors("deployment", created.payload) == []
    assert schema_errors("deployment_status", status.payload) == []
    assert created.payload["deployment"]["payload"] == {"release": "blue"}
    assert created.payload["deployment"]["id"] == deployment["id"]
    assert status.payload["deployment_status"]["state"] == "success"
    assert status.payload["deployment"]["id"] == deployment["id"]


async def test_inactive_status_sends_no_webhook(sim, gh, receiver, repository):
    deployment = await gh.post(
        repo_path("/deployments"), data={"ref": "main", "required_contexts": []}
    )
    url = repo_path(f"/deployments/{deployment['id']}/statuses")
    await gh.post(url, data={"state": "inactive"})
    await gh.post(url, data={"state": "failure"})
    deliveries = await sim.wait_for(delivered("deployment_status"))
    await sim.wait_idle()
    states = [d.payload["deployment_status"]["state"] for d in deliveries]
    assert states == ["failure"]


async def test_auto_merge_sends_push(sim, gh, receiver, repository):
    await sim.push(OWNER, REPO, "topic", {"t": "1"}, "Topic")
    await sim.push(OWNER, REPO, "main", {"m": "1"}, "Main")
    await gh.post(
        repo_path("/deployments"), data={"ref": "topic", "required_contexts": []}
    )
    merged = repository.branches["topic"]
    pushes = await sim.wait_for(
        lambda s: [d for d in delivered("push")(s) if d.payload["after"] == merged]
    )
    assert pushes[0].payload["sender"]["login"] == "cite[bot]"
    assert schema_errors("push", pushes[0].payload) == []


async def test_recorded_payload_delivered_signed(sim, receiver):
    body = (PAYLOADS / "issue_comment/created.payload.json").read_bytes()
    payload = json.loads(body)
    status = await sim.deliver("issue_comment", payload, delivery_id="abc-123")
    assert status == 202
    [received] = receiver.received
    assert signature_matches(received)
    assert received.headers["X-GitHub-Delivery"] == "abc-123"
    assert received.payload == payload
    assert sim.deliveries[-1].action == "created"


async def test_redeliver_keeps_guid_and_body(sim, receiver, repository):
    await sim.push(OWNER, REPO, "main", {"a": "1"}, "Ünïcode ✓")
    [first] = await sim.wait_for(delivered("push"))
    status = await sim.redeliver(first.delivery_id)
    assert status == 202
    original, again = receiver.received
    assert again.headers["X-GitHub-Delivery"] == original.headers["X-GitHub-Delivery"]
    assert again.body == original.body
    assert sim.deliveries[-1].redelivery is True


async def test_failed_delivery_recorded_not_retried(sim, receiver, repository):
    receiver.status = 500
    await sim.push(OWNER, REPO, "main", {"a": "1"}, "Change")
    [delivery] = await sim.wait_for(delivered("push"))
    assert delivery.status == 500
    sim.webhook_url = "http://127.0.0.1:9/webhooks"
    await sim.push(OWNER, REPO, "main", {"a": "2"}, "Change again")
    deliveries = await sim.wait_for(lambda s: len(delivered("push")(s)) == 2)
    assert deliveries
    assert sim.deliveries[-1].status is None
    assert sim.deliveries[-1].error
    await sim.wait_idle()
    assert len(sim.deliveries) == 2


async def test_non_loopback_url_not_contacted(sim, repository):
    sim.webhook_url = "http://192.0.2.1/webhooks"
    status = await sim.deliver("ping", {"zen": "Keep it logically awesome."})
    assert status is None
    assert "loopback" in sim.deliveries[-1].error


async def test_slow_receiver_times_out(sim, aiohttp_server, repository, monkeypatch):
    monkeypatch.setattr("simulators.github.webhooks.DELIVERY_TIMEOUT", 0.05)
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/webhooks", slow)
    server = await aiohttp_server(app)
    sim.webhook_url = str(server.make_url("/webhooks"))
    status = await sim.deliver("ping", {"zen": "Slow."})
    release.set()
    assert status is None
    assert "timed out" in sim.deliveries[-1].error


def test_schema_check_can_fail():
    recorded = json.loads((PAYLOADS / "status/payload.json").read_text())
    assert schema_errors("status", recorded) == []
    del recorded["branches"]
    assert schema_errors("status", recorded) != []


async def test_wait_for_times_out(sim):
    with pytest.raises(TimeoutError):
        await sim.wait_for(lambda s: s.deliveries, timeout=0.05)


async def test_cleanup_leaves_no_tasks(key, aiohttp_server, receiver):
    simulator = GitHubSimulator(
        app_id=APP_ID,
        app_public_key_pem=key.public_pem,
        webhook_secret=SECRET,
        webhook_url=receiver.url,
    )
    simulator.add_installation(OWNER)
    simulator.add_repository(OWNER, REPO, files={"a": "1"})
    server = await aiohttp_server(simulator.make_app())
    await simulator.push(OWNER, REPO, "main", {"b": "2"}, "Change")
    await server.close()
    assert simulator.is_idle()
