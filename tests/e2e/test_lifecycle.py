"""Standby releases stay for the retention, and a rollback to one is instant."""

from __future__ import annotations

from bot.app import LIFECYCLE
from tests.e2e.helpers import (
    NAMESPACE,
    OWNER,
    REPO,
    deploy_versions,
    release_of,
    roll_back,
    selected_release,
    settle,
)


async def test_standby_kept_within_retention(stack):
    first, second = await deploy_versions(stack, 2)

    removed = await stack.bot_app[LIFECYCLE].clean_up()

    assert removed == []
    assert release_of(stack, first) is not None
    assert selected_release(stack) == release_of(stack, second)


async def test_rollback_within_retention_is_instant(stack):
    first, second = await deploy_versions(stack, 2)
    standby = release_of(stack, first)
    pods_before = {
        pod["metadata"]["name"] for pod in stack.cluster.store.list("pods", NAMESPACE)
    }
    requests_before = len(stack.cluster.requests)

    result = await roll_back(stack, first)
    await settle(stack)

    assert result["state"] == "success"
    assert selected_release(stack) == standby
    assert release_of(stack, second) is not None
    writes = [
        (method, path)
        for method, path, _status in stack.cluster.requests[requests_before:]
        if method in ("POST", "PUT", "PATCH", "DELETE")
    ]
    service_writes = [w for w in writes if "/services/" in w[1]]
    assert len(service_writes) == 1
    assert service_writes[0][0] == "PUT"
    assert not any(path.endswith("/pods") for _method, path in writes)
    pods_after = {
        pod["metadata"]["name"] for pod in stack.cluster.store.list("pods", NAMESPACE)
    }
    assert pods_after == pods_before
    rollback = stack.github.deployments(OWNER, REPO)[-1]
    assert rollback["sha"] == first
    statuses = stack.github.deployment_statuses(OWNER, REPO, rollback["id"])
    assert statuses[-1]["state"] == "success"
