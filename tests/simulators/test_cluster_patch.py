"""JSON patch, merge patch, strategic merge patch and apply on the simulator."""

from __future__ import annotations

import json

import pytest
from conftest import deployment_body, service_body
from kubernetes_asyncio.client import ApiException

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
SERVICE_PATH = "/api/v1/namespaces/default/services/web"


def two_container_body() -> dict:
    body = deployment_body()
    body["spec"]["template"]["spec"]["containers"] = [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
        {"name": "sidecar", "image": "proxy:1"},
    ]
    return body


async def test_strategic_merge_merges_containers_by_name(apps):
    await apps.create_namespaced_deployment("default", two_container_body())
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "app:2",
                            "env": [{"name": "B", "value": "2"}],
                        }
                    ]
                }
            }
        }
    }
    patched = await apps.patch_namespaced_deployment("web", "default", patch)
    containers = patched.spec.template.spec.containers
    assert [c.name for c in containers] == ["app", "sidecar"]
    assert containers[0].image == "app:2"
    assert containers[1].image == "proxy:1"
    assert [(e.name, e.value) for e in containers[0].env] == [("A", "1"), ("B", "2")]
    assert patched.metadata.generation == 2


async def test_strategic_merge_delete_directive(apps):
    await apps.create_namespaced_deployment("default", two_container_body())
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}
            }
        }
    }
    patched = await apps.patch_namespaced_deployment("web", "default", patch)
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]


async def test_strategic_merge_replace_directive(apps):
    await apps.create_namespaced_deployment("default", two_container_body())
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "only", "image": "only:1"},
                        {"$patch": "replace"},
                    ]
                }
            }
        }
    }
    patched = await apps.patch_namespaced_deployment("web", "default", patch)
    assert [c.name for c in patched.spec.template.spec.containers] == ["only"]


async def test_strategic_merge_service_ports_by_port(core):
    body = service_body()
    body["spec"]["ports"] = [
        {"name": "http", "port": 80, "targetPort": 8080},
        {"name": "metrics", "port": 9090},
    ]
    await core.create_namespaced_service("default", body)
    patched = await core.patch_namespaced_service(
        "web",
        "default",
        {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 9000}]}},
    )
    ports = {port.port: port.target_port for port in patched.spec.ports}
    assert ports == {80: 9000, 9090: 9090}


async def test_strategic_merge_of_selector_map(core):
    await core.create_namespaced_service("default", service_body())
    patched = await core.patch_namespaced_service(
        "web", "default", {"spec": {"selector": {"release": "b"}}}
    )
    assert patched.spec.selector == {"app": "web", "release": "b"}


async def test_merge_patch_replaces_lists(apps):
    await apps.create_namespaced_deployment("default", two_container_body())
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "app", "image": "a:3"}]}}
        }
    }
    patched = await apps.patch_namespaced_deployment(
        "web", "default", patch, _content_type=MERGE_PATCH
    )
    containers = patched.spec.template.spec.containers
    assert [c.name for c in containers] == ["app"]
    assert containers[0].env is None


async def test_merge_patch_null_removes_a_key(core):
    await core.create_namespaced_service("default", service_body())
    patched = await core.patch_namespaced_service(
        "web",
        "default",
        {"metadata": {"labels": {"a": "1"}}},
        _content_type=MERGE_PATCH,
    )
    assert patched.metadata.labels == {"a": "1"}
    patched = await core.patch_namespaced_service(
        "web",
        "default",
        {"metadata": {"labels": {"a": None}}},
        _content_type=MERGE_PATCH,
    )
    assert not patched.metadata.labels


async def test_json_patch_replaces_a_path(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    patched = await apps.patch_namespaced_deployment(
        "web", "default", [{"op": "replace", "path": "/spec/replicas", "value": 2}]
    )
    assert patched.spec.replicas == 2


async def test_json_patch_failed_test_is_422(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException) as caught:
        await apps.patch_namespaced_deployment(
            "web",
            "default",
            [
                {"op": "test", "path": "/spec/replicas", "value": 5},
                {"op": "replace", "path": "/spec/replicas", "value": 2},
            ],
        )
    assert caught.value.status == 422
    assert json.loads(caught.value.body)["kind"] == "Status"
    stored = await apps.read_namespaced_deployment("web", "default")
    assert stored.spec.replicas == 1


async def test_bad_patch_document_is_400(http, core):
    await core.create_namespaced_service("default", service_body())
    async with http.patch(
        SERVICE_PATH,
        data=b'[{"op": "jump", "path": "/spec"}]',
        headers={"Content-Type": JSON_PATCH},
    ) as response:
        assert response.status == 400
    async with http.patch(
        SERVICE_PATH, data=b"{not json", headers={"Content-Type": MERGE_PATCH}
    ) as response:
        assert response.status == 400


async def test_patch_with_plain_json_is_415(http, core):
    await core.create_namespaced_service("default", service_body())
    async with http.patch(
        SERVICE_PATH, json={"spec": {}}, headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 415
        body = await response.json()
    assert body["message"].startswith(
        "the body of the request was in an unknown format - accepted media types "
        "include: application/json-patch+json"
    )


async def test_patch_missing_object_is_404(core):
    with pytest.raises(ApiException) as caught:
        await core.patch_namespaced_service("web", "default", {"spec": {}})
    assert caught.value.status == 404


async def test_patch_stale_resource_version_is_409(core):
    created = await core.create_namespaced_service("default", service_body())
    await core.patch_namespaced_service(
        "web", "default", {"metadata": {"labels": {"a": "1"}}}
    )
    with pytest.raises(ApiException) as caught:
        await core.patch_namespaced_service(
            "web",
            "default",
            {
                "metadata": {
                    "resourceVersion": created.metadata.resource_version,
                    "labels": {"a": "2"},
                }
            },
        )
    assert caught.value.status == 409


async def test_metadata_patch_keeps_generation(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    patched = await apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"annotations": {"note": "x"}}}
    )
    assert patched.metadata.generation == 1


async def test_apply_creates_with_201_then_updates(http):
    body = json.dumps(deployment_body()).encode()
    path = "/apis/apps/v1/namespaces/default/deployments/web?fieldManager=cite"
    headers = {"Content-Type": APPLY_PATCH}
    async with http.patch(path, data=body, headers=headers) as response:
        assert response.status == 201
    changed = deployment_body(replicas=3)
    yaml_body = json.dumps(changed).encode()
    async with http.patch(path, data=yaml_body, headers=headers) as response:
        assert response.status == 200
        applied = await response.json()
    assert applied["spec"]["replicas"] == 3


async def test_apply_without_field_manager_is_422(http):
    body = json.dumps(deployment_body()).encode()
    async with http.patch(
        "/apis/apps/v1/namespaces/default/deployments/web",
        data=body,
        headers={"Content-Type": APPLY_PATCH},
    ) as response:
        assert response.status == 422
        status = await response.json()
    assert status["details"]["causes"][0]["field"] == "fieldManager"


async def test_force_on_non_apply_patch_is_422(http, core):
    await core.create_namespaced_service("default", service_body())
    async with http.patch(
        SERVICE_PATH + "?force=true",
        data=b"{}",
        headers={"Content-Type": MERGE_PATCH},
    ) as response:
        assert response.status == 422


async def test_patch_that_breaks_validation_is_422(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException) as caught:
        await apps.patch_namespaced_deployment(
            "web", "default", {"spec": {"replicas": -1}}
        )
    assert caught.value.status == 422
