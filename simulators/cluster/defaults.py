"""Defaulting of new and updated objects, as the real API server applies it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from simulators.cluster.errors import bad_request

# Labels the API server puts on a Job's pod template, and so on its pods.
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"


def apply_defaults(kind: str, obj: dict[str, Any]) -> None:
    """Fill in the default values of one kind in place."""
    defaulter = _DEFAULTERS.get(kind)
    if defaulter:
        defaulter(obj)


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    if ":" not in name or name.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in spec.get("containers") or []:
        _default_container(container)
    for container in spec.get("initContainers") or []:
        _default_container(container)


def _default_container(container: dict[str, Any]) -> None:
    container.setdefault(
        "imagePullPolicy", _image_pull_policy(container.get("image", ""))
    )
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    resources = container.setdefault("resources", {})
    if resources.get("limits"):
        # Requests default to the limits for resources that set only a limit.
        requests = resources.setdefault("requests", {})
        for name, value in resources["limits"].items():
            requests.setdefault(name, value)
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if probe:
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            http_get = probe.get("httpGet")
            if http_get:
                http_get.setdefault("path", "/")
                http_get.setdefault("scheme", "HTTP")


def _default_template(spec: dict[str, Any]) -> None:
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _default_deployment(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(spec)


def _default_replica_set(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    _default_template(spec)


def _default_job(obj: dict[str, Any]) -> None:
    """Default the counts and limits, and select the Job's pods by its uid."""
    metadata = obj["metadata"]
    spec = obj.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    template_metadata = template.setdefault("metadata", {})
    uid = metadata.get("uid")
    if uid and not spec.get("manualSelector"):
        labels = template_metadata.setdefault("labels", {})
        labels.setdefault(CONTROLLER_UID_LABEL, uid)
        labels.setdefault(LEGACY_CONTROLLER_UID_LABEL, uid)
        labels.setdefault(JOB_NAME_LABEL, metadata.get("name", ""))
        labels.setdefault(LEGACY_JOB_NAME_LABEL, metadata.get("name", ""))
        spec.setdefault("selector", {"matchLabels": {CONTROLLER_UID_LABEL: uid}})
    default_pod_spec(template.setdefault("spec", {}))


def _default_pod(obj: dict[str, Any]) -> None:
    default_pod_spec(obj.setdefault("spec", {}))
    spec = obj["spec"]
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    spec.setdefault(
        "tolerations",
        [
            {
                "key": f"node.kubernetes.io/{taint}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for taint in ("not-ready", "unreachable")
        ],
    )


def _default_service(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def _default_namespace(obj: dict[str, Any]) -> None:
    name = obj["metadata"].get("name", "")
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])


def _default_secret(obj: dict[str, Any]) -> None:
    """Check that data is base64 and merge the write-only stringData into it."""
    obj.setdefault("type", "Opaque")
    data = obj.get("data") or {}
    for key, value in data.items():
        try:
            base64.b64decode(value or "", validate=True)
        except (binascii.Error, TypeError) as error:
            raise bad_request(
                f'Secret in version "v1" cannot be handled as a Secret: illegal '
                f"base64 data in data[{key}]: {error}"
            ) from error
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(value.encode()).decode()
    if data:
        obj["data"] = data


def _default_event(obj: dict[str, Any]) -> None:
    obj.setdefault("reportingComponent", "")
    obj.setdefault("reportingInstance", "")


_DEFAULTERS = {
    "Deployment": _default_deployment,
    "ReplicaSet": _default_replica_set,
    "Job": _default_job,
    "Pod": _default_pod,
    "Service": _default_service,
    "Namespace": _default_namespace,
    "Secret": _default_secret,
    "Event": _default_event,
}


def initial_status(kind: str) -> dict[str, Any] | None:
    """Return the status a new object starts with; the client's status is dropped."""
    if kind == "Namespace":
        return {"phase": "Active"}
    if kind == "Pod":
        return {"phase": "Pending", "qosClass": "BestEffort"}
    if kind == "Service":
        return {"loadBalancer": {}}
    if kind == "ReplicaSet":
        # ReplicaSetStatus.replicas has no omitempty, so 0 is always sent.
        return {"replicas": 0}
    if kind in ("Deployment", "Job"):
        return {}
    return None
