"""Deployments, ReplicaSets, pods and their status through the simulated controllers."""

from __future__ import annotations

import json

import pytest
from conftest import deployment_body
from kubernetes_asyncio.client import ApiException

from simulators.cluster.deployment import template_hash

NAMESPACE = "default"


def get_deployment(store, name: str = "web") -> dict | None:
    return store.get("deployments", NAMESPACE, name)


def condition(obj: dict, condition_type: str) -> dict | None:
    for item in obj.get("status", {}).get("conditions") or []:
        if item["type"] == condition_type:
            return item
    return None


def rollout_complete(name: str = "web"):
    def check(store):
        deployment = get_deployment(store, name)
        if deployment is None:
            return None
        progressing = condition(deployment, "Progressing")
        if progressing and progressing["reason"] == "NewReplicaSetAvailable":
            return deployment
        return None

    return check


def pods_with_reason(reason: str, count: int = 1):
    """Predicate: `count` pods have a container waiting with `reason`."""

    def check(store):
        matching = [
            pod
            for pod in store.list("pods", NAMESPACE)
            for status in pod.get("status", {}).get("containerStatuses") or []
            if status["state"].get("waiting", {}).get("reason") == reason
        ]
        return matching if len(matching) >= count else None

    return check


async def test_deployment_rolls_out_ready_pods(apps, core, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body(replicas=2))
    deployment = await cluster.store.wait_for(rollout_complete())
    status = deployment["status"]
    assert status["observedGeneration"] == 1
    assert status["replicas"] == 2
    assert status["updatedReplicas"] == 2
    assert status["readyReplicas"] == 2
    assert status["availableReplicas"] == 2
    assert "unavailableReplicas" not in status
    available = condition(deployment, "Available")
    assert available["status"] == "True"
    assert available["reason"] == "MinimumReplicasAvailable"
    [rs] = cluster.store.list("replicasets", NAMESPACE)
    progressing = condition(deployment, "Progressing")
    assert progressing["message"] == (
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.'
    )
    assert (
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "1"
    )
    model = await apps.read_namespaced_deployment("web", NAMESPACE)
    assert model.status.available_replicas == 2


async def test_replica_set_name_labels_and_owner(apps, cluster):
    created = await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    [rs] = cluster.store.list("replicasets", NAMESPACE)
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    template = get_deployment(cluster.store)["spec"]["template"]
    assert pod_hash == template_hash(template, None)
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert set(pod_hash) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert rs["spec"]["selector"]["matchLabels"] == {
        "app": "web",
        "pod-template-hash": pod_hash,
    }
    [owner] = rs["metadata"]["ownerReferences"]
    assert owner == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": created.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    [pod] = cluster.store.list("pods", NAMESPACE)
    assert pod["metadata"]["generateName"] == f"web-{pod_hash}-"
    assert pod["metadata"]["labels"]["pod-template-hash"] == pod_hash
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"


async def test_ready_pod_status_fields(apps, core, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    [pod] = (await core.list_namespaced_pod(NAMESPACE)).items
    assert pod.spec.node_name == cluster.settings.node_name
    assert pod.status.phase == "Running"
    assert pod.status.pod_ip.startswith("10.244.")
    conditions = {c.type: c.status for c in pod.status.conditions}
    assert conditions == {
        "PodScheduled": "True",
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "ContainersReady": "True",
        "Ready": "True",
    }
    [container] = pod.status.container_statuses
    assert container.name == "app"
    assert container.ready is True
    assert container.started is True
    assert container.restart_count == 0
    assert container.image == "docker.io/library/nginx:1.27"
    assert container.image_id.startswith("docker.io/library/nginx@sha256:")
    assert container.state.running.started_at is not None


async def test_write_order_of_a_rollout(apps, cluster):
    changes = []
    cluster.store.subscribe(changes.append)
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    writes = [change for change in changes if change.resource != "events"]
    assert (writes[0].resource, writes[0].type) == ("deployments", "ADDED")
    assert writes[0].object["status"] == {}
    assert (writes[1].resource, writes[1].type) == ("replicasets", "ADDED")
    assert (writes[2].resource, writes[2].type) == ("deployments", "MODIFIED")
    created = condition(writes[2].object, "Progressing")
    assert created["reason"] == "NewReplicaSetCreated"
    assert created["message"] == (
        f'Created new replica set "{writes[1].object["metadata"]["name"]}"'
    )
    first_counts = next(
        change.object
        for change in writes
        if change.resource == "deployments"
        and "observedGeneration" in change.object["status"]
    )
    assert first_counts["status"]["observedGeneration"] == 1
    assert condition(first_counts, "Available")["status"] == "False"
    versions = [change.resource_version for change in changes]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


async def test_pod_goes_through_container_creating(apps, cluster):
    changes = []
    cluster.store.subscribe(changes.append)
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    reasons = []
    for change in changes:
        if change.resource != "pods":
            continue
        for status in change.object["status"].get("containerStatuses") or []:
            state = status["state"]
            key = state.get("waiting", {}).get("reason") or next(iter(state))
            if status["ready"]:
                key = "ready"
            if not reasons or reasons[-1] != key:
                reasons.append(key)
    assert reasons == ["ContainerCreating", "running", "ready"]
    creating = next(
        s
        for c in changes
        if c.resource == "pods"
        for s in c.object["status"].get("containerStatuses") or []
    )
    assert creating["imageID"] == ""
    assert creating["started"] is False


async def test_scaling_events_and_pod_events(apps, core, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body(replicas=2))
    await cluster.store.wait_for(rollout_complete())
    events = (await core.list_namespaced_event(NAMESPACE)).items
    reasons = {(e.involved_object.kind, e.reason) for e in events}
    assert ("Deployment", "ScalingReplicaSet") in reasons
    assert ("ReplicaSet", "SuccessfulCreate") in reasons
    assert ("Pod", "Scheduled") in reasons
    assert ("Pod", "Started") in reasons
    scaling = next(e for e in events if e.reason == "ScalingReplicaSet")
    assert scaling.message.startswith("Scaled up replica set web-")
    assert scaling.message.endswith(" from 0 to 2")


async def test_template_change_creates_new_replica_set(apps, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body(replicas=2))
    await cluster.store.wait_for(rollout_complete())
    await apps.patch_namespaced_deployment(
        "web",
        NAMESPACE,
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}
                }
            }
        },
    )

    def rolled(store):
        deployment = get_deployment(store)
        if deployment["status"].get("observedGeneration") != 2:
            return None
        return rollout_complete()(store)

    deployment = await cluster.store.wait_for(rolled)
    assert (
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "2"
    )
    replica_sets = cluster.store.list("replicasets", NAMESPACE)
    assert len(replica_sets) == 2
    replicas = sorted(rs["spec"]["replicas"] for rs in replica_sets)
    assert replicas == [0, 2]
    await cluster.store.wait_for(lambda store: len(store.list("pods", NAMESPACE)) == 2)
    images = {
        pod["spec"]["containers"][0]["image"]
        for pod in cluster.store.list("pods", NAMESPACE)
    }
    assert images == {"nginx:1.28"}


async def test_scale_down_deletes_pods(apps, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body(replicas=3))
    await cluster.store.wait_for(rollout_complete())
    await apps.patch_namespaced_deployment_scale(
        "web", NAMESPACE, {"spec": {"replicas": 1}}
    )
    await cluster.store.wait_for(lambda store: len(store.list("pods", NAMESPACE)) == 1)
    deployment = await cluster.store.wait_for(
        lambda store: (
            get_deployment(store)["status"].get("replicas") == 1
            and get_deployment(store)
        )
    )
    assert deployment["status"]["availableReplicas"] == 1


async def test_progress_deadline_exceeded(apps, cluster):
    body = deployment_body(image="registry.example/notfound:1")
    body["spec"]["progressDeadlineSeconds"] = 30
    await apps.create_namespaced_deployment(NAMESPACE, body)
    await cluster.store.wait_for(pods_with_reason("ErrImagePull"))
    deployment = get_deployment(cluster.store)
    assert condition(deployment, "Progressing")["status"] == "True"
    cluster.clock.advance(31)

    def timed_out(store):
        progressing = condition(get_deployment(store), "Progressing")
        return progressing["reason"] == "ProgressDeadlineExceeded" and progressing

    progressing = await cluster.store.wait_for(timed_out)
    assert progressing["status"] == "False"
    [rs] = cluster.store.list("replicasets", NAMESPACE)
    assert progressing["message"] == (
        f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.'
    )
    available = condition(get_deployment(cluster.store), "Available")
    assert available["status"] == "False"
    assert available["reason"] == "MinimumReplicasUnavailable"


async def test_image_not_found_backs_off(apps, core, cluster):
    await apps.create_namespaced_deployment(
        NAMESPACE, deployment_body(image="example.com/notfound:1")
    )
    await cluster.store.wait_for(pods_with_reason("ErrImagePull"))
    [pod] = await cluster.store.wait_for(pods_with_reason("ImagePullBackOff"))
    assert pod["status"]["phase"] == "Pending"
    [status] = pod["status"]["containerStatuses"]
    assert status["imageID"] == ""
    assert status["ready"] is False
    assert status["state"]["waiting"]["message"] == (
        'Back-off pulling image "example.com/notfound:1"'
    )
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"


async def test_crash_loop_back_off(apps, cluster):
    await apps.create_namespaced_deployment(
        NAMESPACE, deployment_body(image="example.com/crashloop:1")
    )

    def restarted_twice(store):
        found = pods_with_reason("CrashLoopBackOff")(store)
        if found and found[0]["status"]["containerStatuses"][0]["restartCount"] >= 2:
            return found
        return None

    [pod] = await cluster.store.wait_for(restarted_twice)
    assert pod["status"]["phase"] == "Running"
    [status] = pod["status"]["containerStatuses"]
    assert status["ready"] is False
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    # The back-off doubles with each restart, from 10 s on a real kubelet.
    seconds = 10 * 2 ** (status["restartCount"] - 1)
    assert status["state"]["waiting"]["message"].startswith(f"back-off {seconds}s ")
    deployment = get_deployment(cluster.store)
    assert "readyReplicas" not in deployment["status"]
    assert deployment["status"]["unavailableReplicas"] == 1


async def test_pod_requesting_too_much_cpu_is_unschedulable(core, cluster):
    pod = {
        "metadata": {"name": "big"},
        "spec": {
            "containers": [
                {"name": "app", "image": "x:1", "resources": {"requests": {"cpu": "5"}}}
            ]
        },
    }
    await core.create_namespaced_pod(NAMESPACE, pod)

    def unschedulable(store):
        stored = store.get("pods", NAMESPACE, "big")
        scheduled = condition(stored, "PodScheduled")
        return scheduled and scheduled["reason"] == "Unschedulable" and stored

    stored = await cluster.store.wait_for(unschedulable)
    scheduled = condition(stored, "PodScheduled")
    assert scheduled["status"] == "False"
    assert scheduled["message"].startswith(
        "0/1 nodes are available: 1 Insufficient cpu."
    )
    assert stored["status"]["phase"] == "Pending"
    assert "nodeName" not in stored["spec"]


async def test_pod_requesting_too_much_memory_is_unschedulable(core, cluster):
    pod = {
        "metadata": {"name": "big"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "x:1",
                    "resources": {"limits": {"cpu": "1", "memory": "17Gi"}},
                }
            ]
        },
    }
    await core.create_namespaced_pod(NAMESPACE, pod)

    def message(store):
        scheduled = condition(store.get("pods", NAMESPACE, "big"), "PodScheduled")
        return scheduled and scheduled.get("message")

    text = await cluster.store.wait_for(message)
    assert text.startswith("0/1 nodes are available: 1 Insufficient memory.")


async def test_pod_delete_is_graceful(core, cluster):
    pod = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "x:1"}]},
    }
    await core.create_namespaced_pod(NAMESPACE, pod)
    await cluster.store.wait_for(
        lambda store: store.get("pods", NAMESPACE, "p")["spec"].get("nodeName")
    )
    deleted = await core.delete_namespaced_pod("p", NAMESPACE)
    assert deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 30
    await cluster.store.wait_for(
        lambda store: store.get("pods", NAMESPACE, "p") is None
    )


async def test_background_delete_collects_dependents(apps, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body(replicas=2))
    await cluster.store.wait_for(rollout_complete())
    await apps.delete_namespaced_deployment(
        "web", NAMESPACE, propagation_policy="Background"
    )
    assert get_deployment(cluster.store) is None
    await cluster.store.wait_for(
        lambda store: (
            not store.list("replicasets", NAMESPACE)
            and not store.list("pods", NAMESPACE)
        )
    )


async def test_foreground_delete_waits_for_dependents(apps, http, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    async with http.delete(
        "/apis/apps/v1/namespaces/default/deployments/web",
        json={"propagationPolicy": "Foreground"},
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["kind"] == "Deployment"
    assert body["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert "deletionTimestamp" in body["metadata"]
    await cluster.store.wait_for(lambda store: get_deployment(store) is None)
    assert cluster.store.list("replicasets", NAMESPACE) == []
    assert cluster.store.list("pods", NAMESPACE) == []


async def test_orphan_delete_keeps_dependents(apps, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    await apps.delete_namespaced_deployment(
        "web", NAMESPACE, propagation_policy="Orphan"
    )
    await cluster.store.wait_for(lambda store: get_deployment(store) is None)
    [rs] = await cluster.store.wait_for(
        lambda store: [
            rs
            for rs in store.list("replicasets", NAMESPACE)
            if not rs["metadata"].get("ownerReferences")
        ]
    )
    assert rs["spec"]["replicas"] == 1
    assert len(cluster.store.list("pods", NAMESPACE)) == 1


async def test_new_deployment_adopts_orphaned_replica_set(apps, cluster):
    await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    [orphan] = cluster.store.list("replicasets", NAMESPACE)
    await apps.delete_namespaced_deployment(
        "web", NAMESPACE, propagation_policy="Orphan"
    )
    await cluster.store.wait_for(lambda store: get_deployment(store) is None)
    created = await apps.create_namespaced_deployment(NAMESPACE, deployment_body())
    await cluster.store.wait_for(rollout_complete())
    [rs] = cluster.store.list("replicasets", NAMESPACE)
    assert rs["metadata"]["name"] == orphan["metadata"]["name"]
    assert rs["metadata"]["ownerReferences"][0]["uid"] == created.metadata.uid


async def test_namespace_termination(core, apps, http, cluster):
    # Pods that take a while to stop keep the namespace Terminating.
    cluster.settings.pod_termination_delay = 0.3
    await core.create_namespace({"metadata": {"name": "team"}})
    await apps.create_namespaced_deployment("team", deployment_body())
    await cluster.store.wait_for(
        lambda store: [
            p for p in store.list("pods", "team") if p["spec"].get("nodeName")
        ]
    )
    async with http.delete("/api/v1/namespaces/team") as response:
        assert response.status == 200
        deleted = await response.json()
    assert deleted["kind"] == "Namespace"
    assert deleted["status"]["phase"] == "Terminating"
    assert "deletionTimestamp" in deleted["metadata"]
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("team", deployment_body("late"))
    assert caught.value.status == 403
    status = json.loads(caught.value.body)
    assert status["message"] == (
        'deployments.apps "late" is forbidden: unable to create new content in '
        "namespace team because it is being terminated"
    )
    assert status["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    await cluster.store.wait_for(
        lambda store: store.get("namespaces", None, "team") is None
    )
    assert cluster.store.list("pods", "team") == []
    assert cluster.store.list("deployments", "team") == []


async def test_default_namespace_cannot_be_deleted(core):
    with pytest.raises(ApiException) as caught:
        await core.delete_namespace("default")
    assert caught.value.status == 403


async def test_paused_deployment_reports_paused(apps, cluster):
    body = deployment_body()
    body["spec"]["paused"] = True
    await apps.create_namespaced_deployment(NAMESPACE, body)

    def paused(store):
        progressing = condition(get_deployment(store), "Progressing")
        return (
            progressing and progressing["reason"] == "DeploymentPaused" and progressing
        )

    progressing = await cluster.store.wait_for(paused)
    assert progressing["status"] == "Unknown"
    assert progressing["message"] == "Deployment is paused"
    assert cluster.store.list("replicasets", NAMESPACE) == []


async def test_recreate_stops_old_pods_first(apps, cluster):
    body = deployment_body(replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    await apps.create_namespaced_deployment(NAMESPACE, body)
    await cluster.store.wait_for(rollout_complete())
    [old] = cluster.store.list("replicasets", NAMESPACE)
    changes = []
    cluster.store.subscribe(changes.append)
    await apps.patch_namespaced_deployment(
        "web",
        NAMESPACE,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "app", "image": "x:2"}]}}
            }
        },
    )

    def rolled(store):
        # The Progressing reason stays NewReplicaSetAvailable while Recreate
        # waits, so the rollout is done when the new pods are available.
        status = get_deployment(store)["status"]
        return (
            len(store.list("replicasets", NAMESPACE)) == 2
            and status.get("observedGeneration") == 2
            and status.get("updatedReplicas") == 2
            and status.get("availableReplicas") == 2
        )

    await cluster.store.wait_for(rolled)
    old_uid = old["metadata"]["uid"]
    new_rs_added = next(
        index
        for index, change in enumerate(changes)
        if change.resource == "replicasets" and change.type == "ADDED"
    )
    old_pods_gone = max(
        index
        for index, change in enumerate(changes)
        if change.resource == "pods"
        and change.type == "DELETED"
        and change.object["metadata"]["ownerReferences"][0]["uid"] == old_uid
    )
    assert old_pods_gone < new_rs_added
