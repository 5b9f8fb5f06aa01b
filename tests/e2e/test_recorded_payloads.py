"""The bot accepts GitHub's recorded webhook payloads of every event it handles."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import aiohttp
import pytest

from bot.deploy_job import DeploymentJob
from demo.stack import WEBHOOK_SECRET
from handlers.status import head_branches
from tests.e2e.helpers import settle

PAYLOADS = Path(__file__).parent.parent / "data" / "github" / "payloads"
RECORDED = sorted(PAYLOADS.glob("*/*.json"))


def load(relative: str) -> dict:
    return json.loads((PAYLOADS / relative).read_text())


@pytest.mark.parametrize(
    "path", RECORDED, ids=[f"{p.parent.name}/{p.stem}" for p in RECORDED]
)
async def test_recorded_payload_accepted(stack, path):
    body = path.read_bytes()
    signature = (
        "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": path.parent.name,
        "X-GitHub-Delivery": f"recorded-{path.parent.name}-{path.stem}",
        "X-Hub-Signature-256": signature,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.bot_url}/webhooks", data=body, headers=headers
        ) as response,
    ):
        expected = 200 if path.parent.name == "ping" else 202
        assert response.status == expected
    await settle(stack)


def test_recorded_deployment_parsed():
    job = DeploymentJob.from_event(load("deployment/with-installation.payload.json"))
    assert job.deployment_id == 145988746
    assert job.sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert job.owner == "Codertocat"
    assert job.repo == "Hello-World"
    assert job.environment == "production"
    assert job.branch == "master"
    assert job.installation_id > 0


def test_recorded_status_heads_no_branch():
    data = load("status/payload.json")
    assert head_branches(data) == []


def test_recorded_status_branch_head_found():
    data = load("status/payload.json")
    data["branches"][1]["commit"]["sha"] = data["sha"]
    assert head_branches(data) == ["changes"]
