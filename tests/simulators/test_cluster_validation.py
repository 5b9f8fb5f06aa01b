"""Validation of names, labels, schemas and immutable fields by the simulator."""

from __future__ import annotations

import json

import pytest
from conftest import deployment_body, service_body
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiException


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


async def test_service_name_starting_with_digit_is_422(core):
    with pytest.raises(ApiException) as caught:
        await core.create_namespaced_service("default", service_body("1web"))
    assert caught.value.status == 422
    status = status_of(caught.value)
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Service"
    cause = status["details"]["causes"][0]
    assert cause["reason"] == "FieldValueInvalid"
    assert cause["field"] == "metadata.name"
    assert status["message"].startswith(
        'Service "1web" is invalid: metadata.name: Invalid value: "1web": '
        "a DNS-1035 label must consist of lower case alphanumeric characters"
    )


async def test_deployment_name_with_underscore_is_422(apps):
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", deployment_body("Bad_Name"))
    status = status_of(caught.value)
    assert caught.value.status == 422
    assert status["message"].startswith(
        'Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: '
        '"Bad_Name": a lowercase RFC 1123 subdomain must consist of'
    )
    assert status["details"]["group"] == "apps"
    assert status["details"]["kind"] == "Deployment"


async def test_namespace_name_with_dot_is_422(core):
    with pytest.raises(ApiException) as caught:
        await core.create_namespace({"metadata": {"name": "a.b"}})
    assert caught.value.status == 422
    assert "RFC 1123 label" in status_of(caught.value)["message"]


async def test_label_value_of_64_characters_is_422(apps):
    body = deployment_body()
    body["metadata"]["labels"]["release"] = "x" * 64
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["field"] == "metadata.labels"
    assert "must be no more than 63 characters" in cause["message"]


async def test_label_key_with_bad_prefix_is_422(apps):
    body = deployment_body()
    body["metadata"]["labels"]["Bad_Prefix/name"] = "x"
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422


async def test_service_name_of_64_characters_is_422(core):
    with pytest.raises(ApiException) as caught:
        await core.create_namespaced_service("default", service_body("a" * 64))
    assert caught.value.status == 422
    assert "must be no more than 63 characters" in status_of(caught.value)["message"]


async def test_name_or_generate_name_is_required(apps):
    body = deployment_body()
    del body["metadata"]["name"]
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause == {
        "reason": "FieldValueRequired",
        "message": "Required value: name or generateName is required",
        "field": "metadata.name",
    }


async def test_generate_name_appends_five_characters(apps):
    body = deployment_body()
    del body["metadata"]["name"]
    body["metadata"]["generateName"] = "web-"
    created = await apps.create_namespaced_deployment("default", body)
    name = created.metadata.name
    assert name.startswith("web-")
    assert len(name) == len("web-") + 5
    assert set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


async def test_wrong_type_is_400(apps):
    body = deployment_body()
    body["spec"]["replicas"] = "three"
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 400
    status = status_of(caught.value)
    assert status["reason"] == "BadRequest"
    assert "spec.replicas" in status["message"]


async def test_unknown_field_is_400_in_strict_mode(apps):
    body = deployment_body()
    body["spec"]["replica"] = 2
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment(
            "default", body, field_validation="Strict"
        )
    assert caught.value.status == 400
    assert status_of(caught.value)["message"] == (
        'strict decoding error: unknown field "spec.replica"'
    )


async def test_unknown_field_is_dropped_with_warning(http):
    body = deployment_body()
    body["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    async with http.post(
        "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Warn",
        json=body,
    ) as response:
        assert response.status == 201
        created = await response.json()
        warning = response.headers["Warning"]
    assert "imagee" not in created["spec"]["template"]["spec"]["containers"][0]
    assert warning == (
        '299 - "unknown field \\"spec.template.spec.containers[0].imagee\\""'
    )


async def test_missing_container_name_is_422_required(apps):
    body = deployment_body()
    del body["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["field"] == "spec.template.spec.containers[0].name"
    assert cause["reason"] == "FieldValueRequired"


def lease_body(renew_time: str | None = None) -> dict:
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "leader"},
        "spec": {"holderIdentity": "bot-1", "leaseDurationSeconds": 15},
    }
    if renew_time:
        body["spec"]["renewTime"] = renew_time
    return body


@pytest.fixture
def leases(kube) -> client.CoordinationV1Api:
    return client.CoordinationV1Api(kube)


async def test_micro_time_needs_six_fraction_digits(leases):
    for bad in ("2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123456"):
        with pytest.raises(ApiException) as caught:
            await leases.create_namespaced_lease("default", lease_body(bad))
        assert caught.value.status == 400, bad
    created = await leases.create_namespaced_lease(
        "default", lease_body("2024-01-02T03:04:05.123456Z")
    )
    assert created.spec.holder_identity == "bot-1"


async def test_lease_put_to_missing_creates_it(http):
    async with http.put(
        "/apis/coordination.k8s.io/v1/namespaces/default/leases/leader",
        json=lease_body(),
    ) as response:
        assert response.status == 201


async def test_lease_put_without_version_is_422(leases):
    await leases.create_namespaced_lease("default", lease_body())
    with pytest.raises(ApiException) as caught:
        await leases.replace_namespaced_lease("leader", "default", lease_body())
    assert caught.value.status == 422
    assert status_of(caught.value)["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "message": "Invalid value: 0x0: must be specified for an update",
        "field": "metadata.resourceVersion",
    }


async def test_lease_missing_is_json_404(leases):
    with pytest.raises(ApiException) as caught:
        await leases.read_namespaced_lease("leader", "default")
    assert caught.value.status == 404
    assert json.loads(caught.value.body)["code"] == 404


async def test_selector_must_match_template_labels(apps):
    body = deployment_body()
    body["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["field"] == "spec.template.metadata.labels"
    assert "`selector` does not match template `labels`" in cause["message"]


async def test_deployment_selector_is_immutable(apps):
    await apps.create_namespaced_deployment("default", deployment_body())
    changed = deployment_body(labels={"app": "web", "release": "b"})
    with pytest.raises(ApiException) as caught:
        await apps.replace_namespaced_deployment("web", "default", changed)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["field"] == "spec.selector"
    assert "field is immutable" in cause["message"]


async def test_deployment_restart_policy_must_be_always(apps):
    body = deployment_body()
    body["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["reason"] == "FieldValueNotSupported"
    assert cause["field"] == "spec.template.spec.restartPolicy"


async def test_duplicate_container_names_are_422(apps):
    body = deployment_body()
    containers = body["spec"]["template"]["spec"]["containers"]
    containers.append(dict(containers[0]))
    with pytest.raises(ApiException) as caught:
        await apps.create_namespaced_deployment("default", body)
    assert caught.value.status == 422
    cause = status_of(caught.value)["details"]["causes"][0]
    assert cause["reason"] == "FieldValueDuplicate"


async def test_service_without_ports_is_422(core):
    body = service_body()
    del body["spec"]["ports"]
    with pytest.raises(ApiException) as caught:
        await core.create_namespaced_service("default", body)
    assert caught.value.status == 422
    assert status_of(caught.value)["details"]["causes"][0]["field"] == "spec.ports"


async def test_pod_spec_update_is_forbidden(core):
    pod = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "x:1"}]},
    }
    await core.create_namespaced_pod("default", pod)
    with pytest.raises(ApiException) as caught:
        await core.patch_namespaced_pod(
            "p",
            "default",
            {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}},
        )
    assert caught.value.status == 422
    assert "pod updates may not change fields" in status_of(caught.value)["message"]
    patched = await core.patch_namespaced_pod(
        "p", "default", {"spec": {"containers": [{"name": "a", "image": "x:2"}]}}
    )
    assert patched.spec.containers[0].image == "x:2"


async def test_kind_mismatch_is_400(http):
    body = service_body()
    async with http.post(
        "/apis/apps/v1/namespaces/default/deployments", json=body
    ) as response:
        assert response.status == 400
