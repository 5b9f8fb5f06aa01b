"""A release whose pods are not Ready by the deadline fails and is removed."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import build_and_deploy, create_repository, releases, settle


@pytest.fixture
def bot_environment():
    return {"CITE_READY_TIMEOUT": "0.3"}


async def test_release_past_deadline_fails(stack):
    config = "readiness_path: /healthz\n"
    sha = create_repository(stack, config=config)
    stack.cluster.settings.pod_ready_delay = 60

    result = await build_and_deploy(stack, sha)
    await settle(stack)

    assert result["state"] == "failure"
    assert "timed out after 0.3 s with 0 of 1 pods Ready" in result["description"]
    assert releases(stack) == {}
