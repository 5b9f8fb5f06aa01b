"""The pods/{name}/log subresource of the simulator."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio.client import ApiException

NAMESPACE = "default"


def pod_body(name: str = "p", images: tuple[str, ...] = ("x:1",)) -> dict:
    containers = [
        {"name": f"c{index}", "image": image} for index, image in enumerate(images)
    ]
    return {"metadata": {"name": name}, "spec": {"containers": containers}}


def container_state(store, name: str = "p", index: int = 0) -> dict:
    pod = store.get("pods", NAMESPACE, name)
    statuses = pod.get("status", {}).get("containerStatuses") or []
    return statuses[index] if len(statuses) > index else {}


async def test_log_of_running_container(core, cluster):
    await core.create_namespaced_pod(NAMESPACE, pod_body())
    await cluster.store.wait_for(lambda store: container_state(store).get("started"))
    text = await core.read_namespaced_pod_log("p", NAMESPACE)
    assert text == "c0: started from image x:1\n"


async def test_log_with_timestamps_and_tail(core, cluster):
    await core.create_namespaced_pod(NAMESPACE, pod_body())
    await cluster.store.wait_for(lambda store: container_state(store).get("started"))
    text = await core.read_namespaced_pod_log("p", NAMESPACE, timestamps=True)
    stamp, _, rest = text.partition(" ")
    assert stamp.endswith("Z")
    assert rest == "c0: started from image x:1\n"
    empty = await core.read_namespaced_pod_log("p", NAMESPACE, tail_lines=0)
    assert empty == ""


async def test_log_needs_container_for_two(core, cluster):
    await core.create_namespaced_pod(NAMESPACE, pod_body(images=("a:1", "b:1")))
    with pytest.raises(ApiException) as caught:
        await core.read_namespaced_pod_log("p", NAMESPACE)
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["message"] == (
        "a container name must be specified for pod p, choose one of: [c0 c1]"
    )


async def test_log_of_waiting_container_is_400(core, cluster):
    cluster.settings.pod_start_delay = 5
    await core.create_namespaced_pod(NAMESPACE, pod_body())
    await cluster.store.wait_for(lambda store: container_state(store).get("state"))
    with pytest.raises(ApiException) as caught:
        await core.read_namespaced_pod_log("p", NAMESPACE)
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["message"] == (
        'container "c0" in pod "p" is waiting to start: ContainerCreating'
    )


async def test_previous_log_of_crashed_container(core, cluster):
    await core.create_namespaced_pod(NAMESPACE, pod_body(images=("crashloop:1",)))
    await cluster.store.wait_for(
        lambda store: container_state(store).get("restartCount", 0) >= 1
    )
    text = await core.read_namespaced_pod_log("p", NAMESPACE, previous=True)
    assert text == ("c0: started from image crashloop:1\nc0: exited with code 1\n")


async def test_followed_log_ends_when_container_exits(http, core, cluster):
    cluster.settings.pod_ready_delay = 0.3
    await core.create_namespaced_pod(NAMESPACE, pod_body(images=("crashloop:1",)))
    await cluster.store.wait_for(lambda store: container_state(store).get("started"))
    path = "/api/v1/namespaces/default/pods/p/log"
    async with http.get(path, params={"follow": "true"}) as response:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        text = await response.text()
    assert text == "c0: started from image crashloop:1\nc0: exited with code 1\n"


async def test_log_of_missing_pod_is_404(core):
    with pytest.raises(ApiException) as caught:
        await core.read_namespaced_pod_log("ghost", NAMESPACE)
    assert caught.value.status == 404
