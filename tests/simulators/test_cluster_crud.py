"""Create, get, list, replace and delete against the cluster simulator."""

from __future__ import annotations

import json

import pytest
from conftest import deployment_body, service_body
from kubernetes_asyncio.client import ApiException


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


async def test_create_returns_201_with_server_fields(apps, http):
    body = deployment_body()
    async with http.post(
        "/apis/apps/v1/namespaces/default/deployments", json=body
    ) as response:
        assert response.status == 201
        created = await response.json()
    metadata = created["metadata"]
    assert metadata["generation"] == 1
    assert metadata["resourceVersion"].isdigit()
    assert len(metadata["uid"]) == 36
    assert metadata["creationTimestamp"].endswith("Z")
    assert created["kind"] == "Deployment"
    assert created["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == "25%"
    assert created["spec"]["revisionHistoryLimit"] == 10
    assert created["spec"]["progressDeadlineSeconds"] == 600
    assert created["status"] == {}


async def test_create_taken_name_is_409_already_exists(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", deployment_body())
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert status["kind"] == "Status"
    assert status["reason"] == "AlreadyExists"
    assert status["message"] == 'deployments.apps "web" already exists'
    assert status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


async def test_get_missing_is_404_not_found(apps, core):
    with pytest.raises(ApiException) as caught:
        await apps.read_namespaced_deployment("nope", "default")
    assert caught.value.status == 404
    status = status_of(caught.value)
    assert status["message"] == 'deployments.apps "nope" not found'
    assert status["details"]["kind"] == "deployments"
    with pytest.raises(ApiException) as caught:
        await core.read_namespaced_service("nope", "default")
    status = status_of(caught.value)
    assert status["message"] == 'services "nope" not found'
    assert "group" not in status["details"]


async def test_create_in_missing_namespace_is_404(apps):
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("ghost", deployment_body())
    assert caught.value.status == 404
    assert status_of(caught.value)["message"] == 'namespaces "ghost" not found'


async def test_list_items_and_resource_version(apps, cluster):
    for name in ("a", "b", "c"):
        await apps.create_namespaced_deployment("default", deployment_body(name))
    listed = await apps.list_namespaced_deployment("default")
    assert [item.metadata.name for item in listed.items] == ["a", "b", "c"]
    assert int(listed.metadata.resource_version) >= 3


async def test_list_items_carry_no_kind(http, apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    async with http.get("/apis/apps/v1/namespaces/default/deployments") as response:
        listed = await response.json()
    assert listed["kind"] == "DeploymentList"
    assert listed["apiVersion"] == "apps/v1"
    assert "kind" not in listed["items"][0]
    assert "apiVersion" not in listed["items"][0]


async def test_list_label_selector(apps):
    await apps.create_namespaced_deployment(
        "default", deployment_body("a", labels={"app": "a", "tier": "web"})
    )
    await apps.create_namespaced_deployment(
        "default", deployment_body("b", labels={"app": "b"})
    )
    cases = {
        "tier=web": ["a"],
        "tier!=web": ["b"],
        "tier": ["a"],
        "!tier": ["b"],
        "app in (a,b)": ["a", "b"],
        "app notin (a)": ["b"],
        "app=a,tier=web": ["a"],
    }
    for selector, expected in cases.items():
        listed = await apps.list_namespaced_deployment(
            "default", label_selector=selector
        )
        assert [d.metadata.name for d in listed.items] == expected, selector


async def test_list_bad_selector_is_400(apps, core):
    with pytest.raises(ApiException) as caught:
        await apps.list_namespaced_deployment("default", label_selector="app in (a")
    assert caught.value.status == 400
    with pytest.raises(ApiException) as caught:
        await core.list_namespaced_pod("default", field_selector="spec.image=x")
    assert caught.value.status == 400
    assert "field label not supported" in status_of(caught.value)["message"]


async def test_list_field_selector(apps):
    for name in ("a", "b"):
        await apps.create_namespaced_deployment("default", deployment_body(name))
    listed = await apps.list_namespaced_deployment(
        "default", field_selector="metadata.name=b"
    )
    assert [d.metadata.name for d in listed.items] == ["b"]


async def test_list_pages_with_limit_and_continue(apps):
    for name in ("a", "b", "c"):
        await apps.create_namespaced_deployment("default", deployment_body(name))
    first = await apps.list_namespaced_deployment("default", limit=2)
    assert [d.metadata.name for d in first.items] == ["a", "b"]
    assert first.metadata.remaining_item_count == 1
    second = await apps.list_namespaced_deployment(
        "default", limit=2, _continue=first.metadata._continue
    )
    assert [d.metadata.name for d in second.items] == ["c"]
    assert second.metadata._continue is None


async def test_expired_continue_is_410(apps, cluster):
    for name in ("a", "b"):
        await apps.create_namespaced_deployment("default", deployment_body(name))
    first = await apps.list_namespaced_deployment("default", limit=1)
    await apps.create_namespaced_deployment("default", deployment_body("c"))
    cluster.store.compact()
    with pytest.raises(ApiException) as caught:
        await apps.list_namespaced_deployment(
            "default", limit=1, _continue=first.metadata._continue
        )
    assert caught.value.status == 410
    assert status_of(caught.value)["reason"] == "Expired"


async def test_replace_updates_and_bumps_generation(apps):
    created = await apps.create_namespaced_deployment("default", deployment_body())
    replaced = await apps.replace_namespaced_deployment(
        "web", "default", deployment_body(replicas=3)
    )
    assert replaced.spec.replicas == 3
    assert replaced.metadata.generation == 2
    assert replaced.metadata.uid == created.metadata.uid


async def test_replace_with_stale_version_is_409_conflict(core):
    created = await core.create_namespaced_service("default", service_body())
    body = service_body(selector={"app": "web", "release": "a"})
    body["metadata"]["resourceVersion"] = created.metadata.resource_version
    await core.replace_namespaced_service("web", "default", body)
    body["spec"]["selector"]["release"] = "b"
    with pytest.raises(ApiException) as caught:
        await core.replace_namespaced_service("web", "default", body)
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on services "web": the object has '
        "been modified; please apply your changes to the latest version and try "
        "again"
    )
    assert status["details"] == {"name": "web", "kind": "services"}


async def test_replace_without_version_is_unconditional(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    replaced = await apps.replace_namespaced_deployment(
        "web", "default", deployment_body(replicas=4)
    )
    assert replaced.spec.replicas == 4


async def test_replace_missing_is_404(apps):
    with pytest.raises(ApiException) as caught:
        await apps.replace_namespaced_deployment("web", "default", deployment_body())
    assert caught.value.status == 404


async def test_replace_name_mismatch_is_400(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException) as caught:
        await apps.replace_namespaced_deployment(
            "web", "default", deployment_body("other")
        )
    assert caught.value.status == 400
    assert status_of(caught.value)["message"] == (
        "the name of the object (other) does not match the name on the URL (web)"
    )


async def test_create_namespace_mismatch_is_400(apps):
    body = deployment_body()
    body["metadata"]["namespace"] = "kube-system"
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 400


async def test_noop_replace_keeps_resource_version(core, cluster):
    created = await core.create_namespaced_service("default", service_body())
    writes = cluster.store.resource_version
    replaced = await core.replace_namespaced_service("web", "default", service_body())
    assert replaced.metadata.resource_version == created.metadata.resource_version
    assert cluster.store.resource_version == writes


async def test_replace_ignores_status(http, apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    body = deployment_body()
    body["status"] = {"replicas": 7}
    async with http.put(
        "/apis/apps/v1/namespaces/default/deployments/web", json=body
    ) as response:
        replaced = await response.json()
    assert replaced["status"].get("replicas") != 7


async def test_status_write_ignores_spec(http, apps, cluster):
    await apps.create_namespaced_deployment("default", deployment_body())
    body = deployment_body(replicas=9)
    body["status"] = {"replicas": 7, "observedGeneration": 1}
    async with http.put(
        "/apis/apps/v1/namespaces/default/deployments/web/status", json=body
    ) as response:
        assert response.status == 200
        replaced = await response.json()
    assert replaced["spec"]["replicas"] == 1
    assert replaced["status"]["replicas"] == 7


async def test_delete_deployment_returns_success_status(apps, http):
    created = await apps.create_namespaced_deployment("default", deployment_body())
    async with http.delete(
        "/apis/apps/v1/namespaces/default/deployments/web"
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Success"
    assert body["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "deployments",
        "uid": created.metadata.uid,
    }


async def test_delete_service_returns_the_object(core):
    await core.create_namespaced_service("default", service_body())
    deleted = await core.delete_namespaced_service("web", "default")
    assert deleted.kind == "Service"
    assert deleted.metadata.name == "web"


async def test_delete_missing_is_404(apps):
    with pytest.raises(ApiException) as caught:
        await apps.delete_namespaced_deployment("web", "default")
    assert caught.value.status == 404


async def test_delete_precondition_uid_is_409(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException) as caught:
        await apps.delete_namespaced_deployment(
            "web", "default", body={"preconditions": {"uid": "other"}}
        )
    assert caught.value.status == 409


async def test_service_gets_cluster_ip_and_port_defaults(core):
    created = await core.create_namespaced_service("default", service_body())
    assert created.spec.cluster_ip.startswith("10.96.")
    assert created.spec.cluster_ips == [created.spec.cluster_ip]
    assert created.spec.ports[0].protocol == "TCP"
    assert created.spec.type == "ClusterIP"
    port_only = service_body("other")
    del port_only["spec"]["ports"][0]["targetPort"]
    other = await core.create_namespaced_service("default", port_only)
    assert other.spec.ports[0].target_port == 80
    assert other.spec.cluster_ip != created.spec.cluster_ip


async def test_service_cluster_ip_is_immutable(core):
    created = await core.create_namespaced_service("default", service_body())
    body = service_body()
    body["spec"]["clusterIP"] = "10.96.200.200"
    body["metadata"]["resourceVersion"] = created.metadata.resource_version
    with pytest.raises(ApiException) as caught:
        await core.replace_namespaced_service("web", "default", body)
    assert caught.value.status == 422
    assert "field is immutable" in status_of(caught.value)["message"]


async def test_replace_service_keeps_cluster_ip(core):
    created = await core.create_namespaced_service("default", service_body())
    replaced = await core.replace_namespaced_service(
        "web", "default", service_body(selector={"app": "web", "release": "b"})
    )
    assert replaced.spec.cluster_ip == created.spec.cluster_ip
    assert replaced.spec.selector == {"app": "web", "release": "b"}


async def test_namespace_gets_name_label_and_active_phase(core):
    created = await core.create_namespace({"metadata": {"name": "team"}})
    assert created.metadata.labels == {"kubernetes.io/metadata.name": "team"}
    assert created.status.phase == "Active"
    assert created.spec.finalizers == ["kubernetes"]


async def test_pod_defaults(core):
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {"name": "a", "image": "nginx"},
                {"name": "b", "image": "nginx:1.27"},
            ]
        },
    }
    created = await core.create_namespaced_pod("default", pod)
    assert created.spec.restart_policy == "Always"
    assert created.spec.containers[0].image_pull_policy == "Always"
    assert created.spec.containers[1].image_pull_policy == "IfNotPresent"
    assert created.status.phase == "Pending"
    assert created.status.qos_class == "BestEffort"


async def test_unknown_route_is_404_status(http):
    async with http.get("/apis/example.com/v1/widgets") as response:
        assert response.status == 404
        body = await response.json()
    assert body["kind"] == "Status"
    assert body["message"] == "the server could not find the requested resource"


async def test_unsupported_method_is_405(http):
    async with http.post(
        "/apis/apps/v1/namespaces/default/deployments/web", json={}
    ) as response:
        assert response.status == 405
        body = await response.json()
    assert body["reason"] == "MethodNotAllowed"


async def test_create_with_unknown_media_type_is_415(http):
    async with http.post(
        "/apis/apps/v1/namespaces/default/deployments",
        data=b"x",
        headers={"Content-Type": "text/plain"},
    ) as response:
        assert response.status == 415
        body = await response.json()
    assert body["reason"] == "UnsupportedMediaType"


async def test_requests_are_recorded(apps, cluster):
    await apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(ApiException):
        await apps.read_namespaced_deployment("nope", "default")
    assert cluster.requests[-2:] == [
        ("POST", "/apis/apps/v1/namespaces/default/deployments", 201),
        ("GET", "/apis/apps/v1/namespaces/default/deployments/nope", 404),
    ]


async def test_scale_subresource(apps, cluster):
    await apps.create_namespaced_deployment("default", deployment_body())
    scale = await apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 1
    assert scale.status.selector == "app=web"
    patched = await apps.patch_namespaced_deployment_scale(
        "web", "default", {"spec": {"replicas": 3}}
    )
    assert patched.spec.replicas == 3
    stored = cluster.store.get("deployments", "default", "web")
    assert stored["spec"]["replicas"] == 3
    assert stored["metadata"]["generation"] == 2


async def test_secret_string_data_moves_to_data(core):
    secret = {
        "metadata": {"name": "token"},
        "data": {"a": "YQ=="},
        "stringData": {"b": "b"},
    }
    created = await core.create_namespaced_secret("default", secret)
    assert created.data == {"a": "YQ==", "b": "Yg=="}
    assert created.string_data is None
    assert created.type == "Opaque"


async def test_secret_with_bad_base64_is_400(core):
    secret = {"metadata": {"name": "token"}, "data": {"a": "not base64!"}}
    with pytest.raises(ApiException) as caught:
        await core.create_namespaced_secret("default", secret)
    assert caught.value.status == 400


async def test_delete_collection_by_label(core, cluster):
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        body = service_body(name)
        body["metadata"]["labels"] = {"tier": tier}
        await core.create_namespaced_service("default", body)
    await core.delete_collection_namespaced_service(
        "default", label_selector="tier=web"
    )
    remaining = [s["metadata"]["name"] for s in cluster.store.list("services")]
    assert remaining == ["c"]


async def test_replica_set_status_always_has_replicas(apps):
    body = deployment_body()
    body["kind"] = "ReplicaSet"
    del body["metadata"]["labels"]
    body["spec"]["replicas"] = 0
    created = await apps.create_namespaced_replica_set("default", body)
    assert created.status.replicas == 0


async def test_dry_run_create_stores_nothing(apps, cluster):
    writes = cluster.store.resource_version
    created = await apps.create_namespaced_deployment(
        "default", deployment_body(), dry_run="All"
    )
    assert created.metadata.uid is not None
    assert created.spec.replicas == 1
    assert cluster.store.get("deployments", "default", "web") is None
    assert cluster.store.resource_version == writes


async def test_dry_run_still_validates(apps):
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment(
            "default", deployment_body("Bad_Name"), dry_run="All"
        )
    assert caught.value.status == 422


async def test_dry_run_delete_keeps_the_object(core, cluster):
    await core.create_namespaced_service("default", service_body())
    await core.delete_namespaced_service("web", "default", dry_run="All")
    assert cluster.store.get("services", "default", "web") is not None


async def test_unsupported_dry_run_value_is_422(core):
    with pytest.raises(ApiException) as caught:
        await core.create_namespaced_service(
            "default", service_body(), dry_run="Server"
        )
    assert caught.value.status == 422
