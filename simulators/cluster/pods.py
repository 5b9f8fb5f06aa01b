"""Facts about pods used by several controllers: readiness, QoS and requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulators.cluster.quantity import parse_quantity


def condition(pod: dict[str, Any], condition_type: str) -> dict[str, Any] | None:
    for item in pod.get("status", {}).get("conditions") or []:
        if item.get("type") == condition_type:
            return item
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    return ready is not None and ready.get("status") == "True"


def ready_since(pod: dict[str, Any]) -> str | None:
    """Return when the pod last became Ready, or None when it is not Ready."""
    ready = condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        return None
    return ready.get("lastTransitionTime")


def is_active(pod: dict[str, Any]) -> bool:
    """Whether a ReplicaSet counts the pod: not deleted and not finished."""
    if "deletionTimestamp" in pod["metadata"]:
        return False
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed")


# A container whose command or arguments contain this exits with code 1.
FAIL_MARKER = "fail-build"


def runs_to_completion(pod: dict[str, Any]) -> bool:
    """Return whether the pod's containers run once and exit, as a Job's pods do."""
    return pod["spec"].get("restartPolicy", "Always") != "Always"


def asks_to_fail(container: dict[str, Any]) -> bool:
    """Return whether a run-to-completion container is asked to exit with code 1."""
    words = list(container.get("command") or []) + list(container.get("args") or [])
    return any(FAIL_MARKER in word for word in words)


def qos_class(spec: dict[str, Any]) -> str:
    """Return the pod QoS class: BestEffort, Burstable or Guaranteed."""
    containers = spec.get("containers") or []
    resources = [container.get("resources") or {} for container in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits = r.get("limits") or {}
        requests = r.get("requests") or {}
        if not {"cpu", "memory"} <= set(limits):
            return "Burstable"
        if any(requests.get(name, value) != value for name, value in limits.items()):
            return "Burstable"
    return "Guaranteed"


def pod_requests(pod: dict[str, Any]) -> dict[str, Decimal]:
    """Return the summed cpu (cores) and memory (bytes) requests of the containers."""
    totals = {"cpu": Decimal(0), "memory": Decimal(0)}
    for container in pod.get("spec", {}).get("containers") or []:
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        for name in totals:
            if name in requests:
                totals[name] += parse_quantity(requests[name])
    return totals


def normalize_image(image: str) -> str:
    """Return the image reference the runtime reports, e.g. docker.io/library/x:1."""
    name, _, tag = image.partition("@")
    if tag:
        return image
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        name += ":latest"
    return name
