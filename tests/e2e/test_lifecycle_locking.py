"""The clean-up never touches a Service while a deploy in the same bot has its Lease."""

from __future__ import annotations

import pytest

from bot.app import LIFECYCLE
from tests.e2e.helpers import (
    OWNER,
    REPO,
    create_repository,
    deploy_result,
    releases,
)


@pytest.fixture
def bot_environment():
    return {"CITE_MAX_STANDBY": "0", "CITE_READY_TIMEOUT": "20"}


async def test_cleanup_skips_service_under_deploy(stack):
    sha = create_repository(stack)
    stack.cluster.settings.pod_ready_delay = 3600
    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await stack.github.wait_for(
        lambda g: any(
            "Waiting for" in (status["description"] or "")
            for deployment in g.deployments(OWNER, REPO)
            for status in g.deployment_statuses(OWNER, REPO, deployment["id"])
        )
    )

    removed = await stack.bot_app[LIFECYCLE].clean_up()

    assert removed == []
    assert len(releases(stack)) == 1
    stack.cluster.settings.pod_ready_delay = 0.02
    stack.cluster.clock.advance(0)
    result = await stack.github.wait_for(lambda _g: deploy_result(stack, sha))
    assert result["state"] == "success"
