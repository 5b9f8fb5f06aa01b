"""batch/v1 Jobs in the cluster simulator: validation, defaults, runs, deletes."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from simulators.cluster import ClusterSettings
from tests.simulators.conftest import FAST_CLUSTER

RUN_DELAY = 0.05


@pytest.fixture
def cluster_settings() -> ClusterSettings:
    return ClusterSettings(**FAST_CLUSTER, job_pod_run_delay=RUN_DELAY)


@pytest.fixture
def batch(kube) -> client.BatchV1Api:
    return client.BatchV1Api(kube)


def job_body(name: str = "build", args: list[str] | None = None, **spec) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            **spec,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "build", "image": "builder:1", "args": args or []}
                    ],
                }
            },
        },
    }


def condition_types(job: dict) -> list[str]:
    return [item["type"] for item in job.get("status", {}).get("conditions") or []]


def finished(cluster, name: str = "build"):
    def check(store):
        job = store.get("jobs", "default", name)
        types = condition_types(job) if job else []
        return job if ("Complete" in types or "Failed" in types) else None

    return check


async def test_job_defaults_selector_and_labels(batch):
    created = await batch.create_namespaced_job("default", job_body())

    uid = created.metadata.uid
    assert created.spec.selector.match_labels == {
        "batch.kubernetes.io/controller-uid": uid
    }
    labels = created.spec.template.metadata.labels
    assert labels["batch.kubernetes.io/job-name"] == "build"
    assert labels["job-name"] == "build"
    assert labels["batch.kubernetes.io/controller-uid"] == uid
    assert created.spec.backoff_limit == 0
    assert created.spec.completions == 1


async def test_job_name_over_63_is_invalid(batch):
    with pytest.raises(ApiException) as raised:
        await batch.create_namespaced_job("default", job_body(name="b" * 64))

    assert raised.value.status == 422
    assert "must be no more than 63 characters" in raised.value.body


async def test_job_restart_policy_always_is_invalid(batch):
    body = job_body()
    body["spec"]["template"]["spec"]["restartPolicy"] = "Always"

    with pytest.raises(ApiException) as raised:
        await batch.create_namespaced_job("default", body)

    assert raised.value.status == 422
    assert "restartPolicy" in raised.value.body


async def test_job_succeeds_with_conditions_in_order(batch, cluster):
    watched = []
    cluster.store.subscribe(
        lambda change: (
            watched.append(condition_types(change.object))
            if change.resource == "jobs"
            else None
        )
    )
    await batch.create_namespaced_job("default", job_body())

    job = await cluster.store.wait_for(finished(cluster))

    assert condition_types(job) == ["SuccessCriteriaMet", "Complete"]
    assert ["SuccessCriteriaMet"] in watched
    status = job["status"]
    assert status["succeeded"] == 1
    assert "active" not in status
    assert status["startTime"] <= status["completionTime"]
    pods = cluster.store.list("pods", "default", "job-name=build")
    assert [pod["status"]["phase"] for pod in pods] == ["Succeeded"]


async def test_job_reports_active_pod(batch, cluster):
    await batch.create_namespaced_job("default", job_body())

    job = await cluster.store.wait_for(
        lambda store: (
            (store.get("jobs", "default", "build") or {})
            .get("status", {})
            .get("active")
        )
    )

    assert job == 1


async def test_failing_pod_exceeds_backoff_limit(batch, cluster):
    await batch.create_namespaced_job("default", job_body(args=["--fail-build"]))

    job = await cluster.store.wait_for(finished(cluster))

    assert condition_types(job) == ["FailureTarget", "Failed"]
    assert job["status"]["conditions"][-1]["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 1
    assert "completionTime" not in job["status"]


async def test_failed_pod_log_ends_with_error(batch, core, cluster):
    await batch.create_namespaced_job("default", job_body(args=["--fail-build"]))
    await cluster.store.wait_for(finished(cluster))
    pod = cluster.store.list("pods", "default", "job-name=build")[0]

    log = await core.read_namespaced_pod_log(pod["metadata"]["name"], "default")

    lines = log.splitlines()
    assert lines[0] == "build: started from image builder:1"
    assert lines[1] == "build: running --fail-build"
    assert "fail-build" in lines[-2]
    assert lines[-1] == "build: exited with code 1"


async def test_deadline_fails_job_and_deletes_pod(kube, cluster):
    settings = cluster.settings
    settings.job_pod_run_delay = 3600
    batch = client.BatchV1Api(kube)
    await batch.create_namespaced_job("default", job_body(activeDeadlineSeconds=600))
    await cluster.store.wait_for(
        lambda store: (
            store.list("pods", "default", "job-name=build")
            and store.list("pods", "default", "job-name=build")[0]["status"]["phase"]
            == "Running"
        )
    )

    cluster.clock.advance(601)
    job = await cluster.store.wait_for(finished(cluster))

    assert condition_types(job) == ["FailureTarget", "Failed"]
    assert job["status"]["conditions"][-1]["reason"] == "DeadlineExceeded"
    assert cluster.store.list("pods", "default", "job-name=build") == []


async def test_delete_defaults_to_orphan_with_warning(http, batch, cluster):
    await batch.create_namespaced_job("default", job_body())
    await cluster.store.wait_for(
        lambda store: store.list("pods", "default", "job-name=build")
    )

    async with http.delete("/apis/batch/v1/namespaces/default/jobs/build") as response:
        assert response.status == 200
        warning = response.headers["Warning"]
    await cluster.store.wait_for(
        lambda store: not store.get("jobs", "default", "build")
    )

    assert warning.startswith('299 - "child pods are preserved by default')
    pods = cluster.store.list("pods", "default", "job-name=build")
    assert len(pods) == 1
    assert "ownerReferences" not in pods[0]["metadata"]


async def test_background_delete_removes_pods(http, batch, cluster):
    await batch.create_namespaced_job("default", job_body())
    await cluster.store.wait_for(
        lambda store: store.list("pods", "default", "job-name=build")
    )

    async with http.delete(
        "/apis/batch/v1/namespaces/default/jobs/build",
        params={"propagationPolicy": "Background"},
    ) as response:
        assert response.status == 200
        assert "Warning" not in response.headers
        body = await response.json()

    assert body["details"]["kind"] == "jobs"
    await cluster.store.wait_for(
        lambda store: not store.list("pods", "default", "job-name=build")
    )
