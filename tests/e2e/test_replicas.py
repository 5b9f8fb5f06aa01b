"""Bot processes share the work: one leader, one deploy per Service at a time."""

from __future__ import annotations

import pytest

from bot.locks import LEADER_LEASE, service_lock_name
from demo.stack import run_stack
from simulators.cluster import ClusterSettings
from tests.conftest import FAST_CLUSTER
from tests.e2e.bot_process import BotProcess
from tests.e2e.helpers import (
    NAMESPACE,
    OWNER,
    REPO,
    create_repository,
    deploy_result,
)
from tests.e2e.helpers import (
    deploy_states_all as deploy_statuses,
)

# Bot processes start and act more slowly than an in-process bot on a busy
# machine, so waits on them get more room.
PROCESS_TIMEOUT = 30.0
REPLICA_SETTINGS = {
    "CITE_LEASE_SECONDS": "1",
    "CITE_CLEANUP_INTERVAL": "0.2",
    "CITE_READY_TIMEOUT": "60",
    "CITE_NAMESPACE": "cite",
}


@pytest.fixture
async def simulators(tmp_path, app_key):
    async with run_stack(
        tmp_path,
        app_key=app_key,
        cluster_settings=ClusterSettings(**FAST_CLUSTER),
        bot_environment=REPLICA_SETTINGS,
        with_bot=False,
    ) as stack:
        yield stack


@pytest.fixture
async def replicas(simulators):
    started: list[BotProcess] = []

    async def start(identity: str, **settings: str) -> BotProcess:
        replica = BotProcess({**simulators.bot_environment, **settings}, identity)
        started.append(replica)
        await replica.start()
        return replica

    yield start
    for replica in started:
        await replica.stop()


def lease_holder(stack, namespace: str, name: str) -> str | None:
    lease = stack.cluster.store.get("leases", namespace, name)
    return (lease or {}).get("spec", {}).get("holderIdentity")


async def test_leader_moves_when_stopped(simulators, replicas):
    first = await replicas("replica-a")
    second = await replicas("replica-b")
    by_identity = {first.identity: first, second.identity: second}

    leader = await simulators.cluster.store.wait_for(
        lambda _store: lease_holder(simulators, "cite", LEADER_LEASE),
        timeout=PROCESS_TIMEOUT,
    )
    assert leader in by_identity
    other = second if leader == first.identity else first

    assert await by_identity[leader].stop() == 0
    await simulators.cluster.store.wait_for(
        lambda _store: lease_holder(simulators, "cite", LEADER_LEASE) == other.identity,
        timeout=PROCESS_TIMEOUT,
    )
    await other.wait_logged(f"Became the leader as {other.identity}")


async def test_cleanup_runs_on_leader_only(simulators, replicas):
    first = await replicas("replica-a", CITE_RELEASE_RETENTION="0")
    second = await replicas("replica-b", CITE_RELEASE_RETENTION="0")
    sha = create_repository(simulators)
    simulators.github.webhook_url = first.webhook_url
    await simulators.github.create_status(
        OWNER, REPO, sha, "success", context="cite/build"
    )
    await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, sha), timeout=PROCESS_TIMEOUT
    )
    newer = await simulators.github.push(
        OWNER, REPO, "main", {"a": "2"}, "Ship 2 [skip ci]"
    )
    await simulators.github.create_status(
        OWNER, REPO, newer, "success", context="cite/build"
    )
    await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, newer), timeout=PROCESS_TIMEOUT
    )

    def old_release_gone(store) -> bool:
        names = [
            item["metadata"]["labels"]["cite.dev/sha"]
            for item in store.list("deployments", NAMESPACE)
        ]
        return names == [newer]

    await simulators.cluster.store.wait_for(old_release_gone, timeout=PROCESS_TIMEOUT)
    leader = lease_holder(simulators, "cite", LEADER_LEASE)
    follower = second if leader == first.identity else first
    leading = first if follower is second else second
    await simulators.cluster.store.wait_for(
        lambda _store: leading.logged("Removed release"), timeout=PROCESS_TIMEOUT
    )
    assert not follower.logged("Removed release")


async def test_deploys_on_two_replicas_end_with_newer(simulators, replicas):
    first = await replicas("replica-a")
    second = await replicas("replica-b")
    simulators.cluster.settings.pod_ready_delay = 0.3
    older = create_repository(simulators)
    simulators.github.webhook_url = first.webhook_url
    await simulators.github.create_status(
        OWNER, REPO, older, "success", context="cite/build"
    )
    lock = service_lock_name("hello-world--main")
    await simulators.cluster.store.wait_for(
        lambda _store: (lease_holder(simulators, NAMESPACE, lock) or "").startswith(
            f"{first.identity}/"
        ),
        timeout=PROCESS_TIMEOUT,
    )

    newer = await simulators.github.push(
        OWNER, REPO, "main", {"a": "2"}, "Ship 2 [skip ci]"
    )
    simulators.github.webhook_url = second.webhook_url
    await simulators.github.create_status(
        OWNER, REPO, newer, "success", context="cite/build"
    )
    await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, newer), timeout=PROCESS_TIMEOUT
    )
    await simulators.github.wait_for(
        lambda g: all(
            statuses and statuses[-1]["state"] in ("success", "inactive", "failure")
            for statuses in (
                g.deployment_statuses(OWNER, REPO, d["id"])
                for d in g.deployments(OWNER, REPO)
            )
        )
    )

    service = simulators.cluster.store.get("services", NAMESPACE, "hello-world--main")
    live = service["spec"]["selector"]["cite.dev/release"]
    release = simulators.cluster.store.get("deployments", NAMESPACE, live)
    assert release["metadata"]["labels"]["cite.dev/sha"] == newer
    assert deploy_result(simulators, newer)["state"] == "success"
    await second.wait_logged("Service hello-world--main now selects")
    await first.wait_logged("Service hello-world--main now selects")


async def test_killed_bot_deploy_is_finished(simulators, replicas):
    first = await replicas("replica-a")
    simulators.cluster.settings.pod_ready_delay = 3600
    sha = create_repository(simulators)
    simulators.github.webhook_url = first.webhook_url
    await simulators.github.create_status(
        OWNER, REPO, sha, "success", context="cite/build"
    )
    lock = service_lock_name("hello-world--main")
    await simulators.cluster.store.wait_for(
        lambda _store: (lease_holder(simulators, NAMESPACE, lock) or "").startswith(
            "replica-a/"
        ),
        timeout=PROCESS_TIMEOUT,
    )
    await simulators.github.wait_for(
        lambda g: any(
            "Waiting for" in (s["description"] or "")
            for d in g.deployments(OWNER, REPO)
            for s in g.deployment_statuses(OWNER, REPO, d["id"])
        )
    )

    assert await first.kill() != 0
    simulators.cluster.settings.pod_ready_delay = 0.02
    simulators.cluster.clock.advance(0)
    restarted = await replicas("replica-a-restarted")
    simulators.github.webhook_url = restarted.webhook_url

    result = await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, sha), timeout=PROCESS_TIMEOUT
    )
    assert result["state"] == "success"
    deployment = simulators.github.deployments(OWNER, REPO)[0]
    states = [
        s["state"]
        for s in simulators.github.deployment_statuses(OWNER, REPO, deployment["id"])
    ]
    assert states[-1] == "success"
    assert "error" not in states
    await restarted.wait_logged(f"Resuming deployment {deployment['id']}")
    assert [s["state"] for s in deploy_statuses(simulators, sha)][-1] == "success"


async def test_build_of_killed_bot_is_reported(simulators, replicas):
    first = await replicas("replica-a")
    simulators.github.webhook_url = first.webhook_url
    simulators.cluster.settings.job_pod_run_delay = 3600
    create_repository(simulators)
    sha = await simulators.github.push(OWNER, REPO, "main", {"a": "2"}, "Ship 2")
    await simulators.github.wait_for(
        lambda g: any(
            s["context"] == "cite/build" and s["state"] == "pending"
            for s in g.statuses(OWNER, REPO, sha)
        ),
        timeout=PROCESS_TIMEOUT,
    )

    assert await first.kill() != 0
    simulators.cluster.settings.job_pod_run_delay = 0.02
    simulators.cluster.clock.advance(0)
    restarted = await replicas("replica-a-restarted")
    simulators.github.webhook_url = restarted.webhook_url

    built = await simulators.github.wait_for(
        lambda g: [
            s
            for s in g.statuses(OWNER, REPO, sha)
            if s["context"] == "cite/build" and s["state"] != "pending"
        ],
        timeout=PROCESS_TIMEOUT,
    )
    assert built[-1]["state"] == "success"
    result = await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, sha), timeout=PROCESS_TIMEOUT
    )
    assert result["state"] == "success"
    await restarted.wait_logged("which ended unwatched")


async def test_waiting_deploy_of_killed_bot_is_run(simulators, replicas):
    first = await replicas("replica-a")
    simulators.github.webhook_url = first.webhook_url
    simulators.cluster.settings.pod_ready_delay = 3600
    older = create_repository(simulators)
    await simulators.github.create_status(
        OWNER, REPO, older, "success", context="cite/build"
    )
    lock = service_lock_name("hello-world--main")
    await simulators.cluster.store.wait_for(
        lambda _store: (lease_holder(simulators, NAMESPACE, lock) or "").startswith(
            "replica-a/"
        ),
        timeout=PROCESS_TIMEOUT,
    )
    newer = await simulators.github.push(
        OWNER, REPO, "main", {"a": "2"}, "Ship 2 [skip ci]"
    )
    await simulators.github.create_status(
        OWNER, REPO, newer, "success", context="cite/build"
    )

    deployment = await simulators.github.wait_for(
        lambda g: next(
            (d for d in g.deployments(OWNER, REPO) if d["sha"] == newer), None
        ),
        timeout=PROCESS_TIMEOUT,
    )

    def waiting_recorded(store) -> bool:
        lease = store.get("leases", NAMESPACE, lock) or {}
        annotations = lease.get("metadata", {}).get("annotations") or {}
        waiting = annotations.get("cite.dev/waiting-deployment-id")
        return waiting == str(deployment["id"])

    await simulators.cluster.store.wait_for(waiting_recorded, timeout=PROCESS_TIMEOUT)
    assert await first.kill() != 0
    simulators.cluster.settings.pod_ready_delay = 0.02
    simulators.cluster.clock.advance(0)
    restarted = await replicas("replica-a-restarted")
    simulators.github.webhook_url = restarted.webhook_url

    result = await simulators.github.wait_for(
        lambda _g: deploy_result(simulators, newer), timeout=PROCESS_TIMEOUT
    )

    assert result["state"] == "success"
    service = simulators.cluster.store.get("services", NAMESPACE, "hello-world--main")
    live = service["spec"]["selector"]["cite.dev/release"]
    release = simulators.cluster.store.get("deployments", NAMESPACE, live)
    assert release["metadata"]["labels"]["cite.dev/sha"] == newer
