"""A release that cannot become Ready fails and leaves traffic where it was."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    OWNER,
    REPO,
    build_and_deploy,
    create_repository,
    deploy_result,
    releases,
    selected_release,
    settle,
)

GOOD = 'image: "registry.example/{owner}/{repo}:{sha}"\n'


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("registry.example/crashloop:{sha}", "CrashLoopBackOff"),
        ("registry.example/notfound:{sha}", "ImagePullBackOff"),
    ],
)
async def test_failing_release_keeps_previous(stack, image, reason):
    first = create_repository(stack, config=GOOD)
    await build_and_deploy(stack, first)
    live = selected_release(stack)

    second = await stack.github.push(
        OWNER, REPO, "main", {".github/cite.yml": f'image: "{image}"\n'}, "Break it"
    )
    result = await build_and_deploy(stack, second)
    await settle(stack)

    assert result["state"] == "failure"
    assert reason in result["description"] or "ErrImagePull" in result["description"]
    assert selected_release(stack) == live
    assert list(releases(stack)) == [live]
    deployment = stack.github.deployments(OWNER, REPO)[-1]
    statuses = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
    assert statuses[-1]["state"] == "failure"
    assert statuses[-1]["description"] == result["description"]


async def test_unschedulable_release_fails(stack):
    config = "resources:\n  cpu: 2000m\n  memory: 8Gi\nreplicas: 3\n"
    sha = create_repository(stack, config=config)

    result = await build_and_deploy(stack, sha)

    assert result["state"] == "failure"
    assert "pods are unschedulable" in result["description"]
    assert "Insufficient" in result["description"]


async def test_release_deleted_while_starting_fails_fast(stack):
    from kubernetes_asyncio import client

    from bot.app import CONTEXT

    sha = create_repository(stack, config=GOOD)
    stack.cluster.settings.pod_ready_delay = 3600
    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await stack.github.wait_for(
        lambda g: any(
            "Waiting for" in (status["description"] or "")
            for deployment in g.deployments(OWNER, REPO)
            for status in g.deployment_statuses(OWNER, REPO, deployment["id"])
        )
    )
    apps = client.AppsV1Api(stack.bot_app[CONTEXT].kube)
    (name,) = releases(stack)

    await apps.delete_namespaced_deployment(
        name, "cite-octo-org", propagation_policy="Background"
    )
    result = await stack.github.wait_for(lambda _g: deploy_result(stack, sha))

    assert result["state"] == "failure"
    assert "deleted" in result["description"]
