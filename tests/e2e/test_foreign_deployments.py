"""Deployments that belong to other tools are left alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import CONTEXT
from tests.e2e.helpers import (
    OWNER,
    REPO,
    build_and_deploy,
    create_repository,
    releases,
    selected_release,
    service,
    settle,
    status_payload,
)


async def create_deployment(stack, sha: str, **fields) -> dict:
    installation = stack.github.installation_for(stack.github.repository(OWNER, REPO))
    gh = await stack.bot_app[CONTEXT].github.client(installation.id)
    data = {
        "ref": sha,
        "auto_merge": False,
        "required_contexts": [],
        **fields,
    }
    return await gh.post(
        "/repos/{owner}/{repo}/deployments", {"owner": OWNER, "repo": REPO}, data=data
    )


@pytest.mark.parametrize(
    ("config", "fields"),
    [
        (None, {"environment": "production"}),
        ("port: 8080\n", {"environment": "github-pages"}),
        ("port: 8080\n", {"environment": "production", "task": "deploy:migrate"}),
    ],
    ids=["no-config", "other-environment", "other-task"],
)
async def test_foreign_deployment_ignored(stack, config, fields):
    sha = create_repository(stack, config=config)

    deployment = await create_deployment(stack, sha, **fields)
    await settle(stack)

    assert stack.github.deployment_statuses(OWNER, REPO, deployment["id"]) == []
    assert stack.github.statuses(OWNER, REPO, sha) == []
    assert releases(stack) == {}


async def test_payload_image_not_trusted(stack):
    sha = create_repository(stack)

    deployment = await create_deployment(
        stack,
        sha,
        environment="production",
        payload={"cite": {"branch": "main", "image": "evil.example/miner:latest"}},
    )
    await settle(stack)

    statuses = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
    assert statuses[-1]["state"] == "success"
    release = releases(stack)[selected_release(stack)]
    image = release["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"localhost:5000/{OWNER}/{REPO}:{sha}"


async def test_concurrent_duplicate_status_deploys_once(stack):
    sha = create_repository(stack)
    url, stack.github.webhook_url = stack.github.webhook_url, None
    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)
    stack.github.webhook_url = url
    payload = status_payload(stack, sha)

    answers = await asyncio.gather(
        stack.github.deliver("status", payload),
        stack.github.deliver("status", payload),
    )
    await settle(stack)

    assert answers == [202, 202]
    assert len(stack.github.deployments(OWNER, REPO)) == 1


async def test_port_change_follows_release(stack):
    sha = create_repository(stack)
    await build_and_deploy(stack, sha)

    newer = await stack.github.push(
        OWNER, REPO, "main", {".github/cite.yml": "port: 9000\n"}, "Listen on 9000"
    )
    result = await build_and_deploy(stack, newer)

    assert result["state"] == "success"
    assert service(stack)["spec"]["ports"][0]["targetPort"] == "http"
    container = releases(stack)[selected_release(stack)]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["ports"] == [
        {"name": "http", "containerPort": 9000, "protocol": "TCP"}
    ]


async def test_config_not_utf8_fails(stack):
    create_repository(stack)
    sha = await stack.github.push(
        OWNER, REPO, "main", {".github/cite.yml": b"port: \xff\xfe\n"}, "Binary"
    )

    result = await build_and_deploy(stack, sha)

    assert result["state"] == "failure"
    assert "not UTF-8 text" in result["description"]
