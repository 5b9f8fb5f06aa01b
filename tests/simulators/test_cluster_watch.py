"""Watch streams of the simulator: start points, filtering, expiry and timeouts."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import service_body
from kubernetes_asyncio import watch
from kubernetes_asyncio.client import ApiException

SERVICES = "/api/v1/namespaces/default/services"


async def read_events(response, count: int) -> list[dict]:
    """Read `count` newline-terminated events from a raw watch response."""
    events = []
    for _ in range(count):
        line = await response.content.readline()
        assert line.endswith(b"\n")
        events.append(json.loads(line))
    return events


async def test_watch_without_version_lists_then_follows(core, http):
    await core.create_namespaced_service("default", service_body("a"))
    async with http.get(SERVICES, params={"watch": "1"}) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        [added] = await read_events(response, 1)
        await core.create_namespaced_service("default", service_body("b"))
        [later] = await read_events(response, 1)
    assert added["type"] == "ADDED"
    assert added["object"]["metadata"]["name"] == "a"
    assert added["object"]["kind"] == "Service"
    assert added["object"]["apiVersion"] == "v1"
    assert later["type"] == "ADDED"
    assert later["object"]["metadata"]["name"] == "b"


async def test_watch_from_version_sends_only_later_changes(core, http):
    first = await core.create_namespaced_service("default", service_body("a"))
    await core.patch_namespaced_service(
        "a", "default", {"metadata": {"labels": {"x": "1"}}}
    )
    await core.delete_namespaced_service("a", "default")
    params = {"watch": "true", "resourceVersion": first.metadata.resource_version}
    async with http.get(SERVICES, params=params) as response:
        events = await read_events(response, 2)
    assert [event["type"] for event in events] == ["MODIFIED", "DELETED"]
    versions = [int(event["object"]["metadata"]["resourceVersion"]) for event in events]
    assert versions[0] < versions[1]


async def test_watch_accepts_go_bool_spellings(http):
    async def status_of_watch(spelling: str) -> tuple[int, str]:
        params = {"watch": spelling, "timeoutSeconds": "1"}
        async with http.get(SERVICES, params=params) as response:
            return response.status, await response.text()

    spellings = ["1", "t", "T", "TRUE", "true", "True"]
    results = await asyncio.gather(*(status_of_watch(s) for s in spellings))
    assert results == [(200, "")] * len(spellings)


async def test_watch_bad_bool_is_400(http):
    async with http.get(SERVICES, params={"watch": "yes"}) as response:
        assert response.status == 400


async def test_selector_transitions_arrive_as_added_and_deleted(core, http, cluster):
    created = await core.create_namespaced_service("default", service_body("a"))
    params = {
        "watch": "1",
        "labelSelector": "tier=web",
        "resourceVersion": created.metadata.resource_version,
    }
    async with http.get(SERVICES, params=params) as response:
        await core.patch_namespaced_service(
            "a", "default", {"metadata": {"labels": {"tier": "web"}}}
        )
        await core.patch_namespaced_service(
            "a", "default", {"metadata": {"labels": {"tier": "db"}}}
        )
        added, deleted = await read_events(response, 2)
    assert added["type"] == "ADDED"
    assert added["object"]["metadata"]["labels"] == {"tier": "web"}
    assert deleted["type"] == "DELETED"
    assert deleted["object"]["metadata"]["labels"] == {"tier": "web"}
    stored = cluster.store.get("services", "default", "a")
    assert (
        deleted["object"]["metadata"]["resourceVersion"]
        == (stored["metadata"]["resourceVersion"])
    )


async def test_watch_after_compaction_is_410_error_event(core, http, cluster):
    created = await core.create_namespaced_service("default", service_body("a"))
    await core.delete_namespaced_service("a", "default")
    cluster.store.compact()
    params = {"watch": "1", "resourceVersion": created.metadata.resource_version}
    async with http.get(SERVICES, params=params) as response:
        assert response.status == 200
        [error] = await read_events(response, 1)
        assert await response.content.read() == b""
    assert error["type"] == "ERROR"
    status = error["object"]
    assert status["kind"] == "Status"
    assert status["code"] == 410
    assert status["reason"] == "Expired"
    assert status["message"].startswith(
        f"too old resource version: {created.metadata.resource_version} ("
    )


async def test_client_watch_raises_410_after_compaction(core, cluster):
    created = await core.create_namespaced_service("default", service_body("a"))
    await core.create_namespaced_service("default", service_body("b"))
    cluster.store.compact()
    async with watch.Watch() as stream:
        with pytest.raises(ApiException) as caught:
            async for _ in stream.stream(
                core.list_namespaced_service,
                "default",
                resource_version=created.metadata.resource_version,
                timeout_seconds=5,
            ):
                pass
    assert caught.value.status == 410


async def test_timeout_seconds_ends_the_stream(core):
    await core.create_namespaced_service("default", service_body("a"))
    names = []
    async with watch.Watch() as stream:
        async for event in stream.stream(
            core.list_namespaced_service, "default", timeout_seconds=1
        ):
            names.append(event["object"].metadata.name)
    assert names == ["a"]


async def test_bookmarks_when_allowed(http, cluster):
    cluster.settings.bookmark_interval = 0.05
    params = {"watch": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "5"}
    async with http.get(SERVICES, params=params) as response:
        [bookmark] = await read_events(response, 1)
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["kind"] == "Service"
    assert bookmark["object"]["metadata"] == {
        "resourceVersion": str(cluster.store.resource_version)
    }


async def test_initial_events_end_with_bookmark(core, http):
    await core.create_namespaced_service("default", service_body("a"))
    params = {
        "watch": "1",
        "sendInitialEvents": "true",
        "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true",
    }
    async with http.get(SERVICES, params=params) as response:
        added, bookmark = await read_events(response, 2)
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    annotations = bookmark["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}


async def test_watch_filters_by_namespace(core, http):
    await core.create_namespace({"metadata": {"name": "other"}})
    await core.create_namespaced_service("other", service_body("elsewhere"))
    params = {"watch": "1"}
    async with http.get(SERVICES, params=params) as response:
        await core.create_namespaced_service("default", service_body("here"))
        [event] = await read_events(response, 1)
    assert event["object"]["metadata"]["name"] == "here"


async def test_watch_all_namespaces(core, http):
    await core.create_namespace({"metadata": {"name": "other"}})
    await core.create_namespaced_service("other", service_body("elsewhere"))
    async with http.get("/api/v1/services", params={"watch": "1"}) as response:
        [event] = await read_events(response, 1)
    assert event["object"]["metadata"]["namespace"] == "other"


async def test_model_objects_in_client_watch(core):
    await core.create_namespaced_service("default", service_body("a"))
    listed = await core.list_namespaced_service("default")
    async with watch.Watch() as stream:
        events = stream.stream(
            core.list_namespaced_service,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        )
        await core.delete_namespaced_service("a", "default")
        event = await events.__anext__()
    assert event["type"] == "DELETED"
    assert event["object"].metadata.name == "a"
