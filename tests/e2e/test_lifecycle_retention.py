"""Standby releases past the retention are removed, and come back on rollback."""

from __future__ import annotations

import pytest

from bot.app import LIFECYCLE
from tests.e2e.helpers import (
    NAMESPACE,
    OWNER,
    REPO,
    deploy_versions,
    deployment_of,
    release_of,
    roll_back,
    selected_release,
    settle,
)


@pytest.fixture
def bot_environment():
    return {"CITE_RELEASE_RETENTION": "0", "CITE_READY_TIMEOUT": "20"}


async def test_standby_past_retention_removed(stack):
    first, second = await deploy_versions(stack, 2)
    old_release = release_of(stack, first)

    removed = await stack.bot_app[LIFECYCLE].clean_up()
    await settle(stack)

    assert removed == [old_release]
    assert release_of(stack, first) is None
    assert release_of(stack, second) == selected_release(stack)
    statuses = stack.github.deployment_statuses(
        OWNER, REPO, deployment_of(stack, first)["id"]
    )
    assert statuses[-1]["state"] == "inactive"
    assert (
        f"Release {old_release} was removed: on standby for"
        in (statuses[-1]["description"])
    )
    newest = stack.github.deployment_statuses(
        OWNER, REPO, deployment_of(stack, second)["id"]
    )
    assert newest[-1]["state"] == "success"


async def test_rollback_after_retention_starts_again(stack):
    first, _second = await deploy_versions(stack, 2)
    await stack.bot_app[LIFECYCLE].clean_up()
    assert release_of(stack, first) is None

    result = await roll_back(stack, first)

    assert result["state"] == "success"
    restored = release_of(stack, first)
    assert selected_release(stack) == restored
    pods = stack.cluster.store.list(
        "pods", NAMESPACE, label_selector=f"cite.dev/release={restored}"
    )
    assert len(pods) == 2
    for pod in pods:
        ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
        assert ready[0]["status"] == "True"
