"""Fixtures shared by the whole suite: the app's key and the running stack."""

from __future__ import annotations

import pytest

from demo.stack import AppKey, Stack, generate_app_key, run_stack
from simulators.cluster import ClusterSettings

# Short simulator delays keep the end-to-end tests fast; none of them is a
# wait in a test, they only pace the simulated kubelet.
FAST_CLUSTER = dict(
    pod_schedule_delay=0.005,
    pod_start_delay=0.01,
    pod_ready_delay=0.02,
    back_off_delay=0.02,
    pod_termination_delay=0.005,
    job_pod_run_delay=0.05,
)


@pytest.fixture(scope="session")
def app_key() -> AppKey:
    return generate_app_key()


@pytest.fixture
def bot_environment() -> dict[str, str]:
    """Extra bot settings; a test overrides this fixture to change them."""
    return {"CITE_READY_TIMEOUT": "20"}


@pytest.fixture
def cluster_settings() -> ClusterSettings:
    """Settings of the simulated cluster; a test overrides this fixture."""
    return ClusterSettings(**FAST_CLUSTER)


@pytest.fixture
async def stack(tmp_path, app_key, bot_environment, cluster_settings) -> Stack:
    async with run_stack(
        tmp_path,
        app_key=app_key,
        cluster_settings=cluster_settings,
        bot_environment=bot_environment,
    ) as running:
        yield running
