"""Events the kubelet records when a container changes state."""

from __future__ import annotations

from typing import Any

from simulators.cluster.registry import Registry

COMPONENT = "kubelet"


def _reason(status: dict[str, Any] | None) -> str:
    """Return a short key of a container state: its waiting reason or running."""
    if status is None:
        return ""
    state = status.get("state") or {}
    if "waiting" in state:
        return state["waiting"].get("reason", "")
    return "Running" if "running" in state else "Terminated"


def emit_transition_events(
    registry: Registry,
    pod: dict[str, Any],
    statuses: list[dict[str, Any]],
    host: str,
) -> None:
    """Record Pulling, Pulled, Created, Started, Failed and BackOff events."""
    old = {s["name"]: s for s in pod.get("status", {}).get("containerStatuses") or []}
    metadata = pod["metadata"]
    images = {c["name"]: c["image"] for c in pod["spec"]["containers"]}
    for status in statuses:
        before = old.get(status["name"])
        previous, current = _reason(before), _reason(status)
        restarts = status["restartCount"]
        if previous == current and (before or {}).get("restartCount") == restarts:
            continue
        name, image = status["name"], images[status["name"]]

        def record(event_type: str, reason: str, message: str) -> None:
            registry.record_event(pod, event_type, reason, message, COMPONENT, host)

        if current == "ContainerCreating":
            record("Normal", "Pulling", f'Pulling image "{image}"')
        elif current == "Running":
            if restarts:
                record(
                    "Normal",
                    "Pulled",
                    f'Container image "{image}" already present on machine',
                )
            else:
                record("Normal", "Pulled", f'Successfully pulled image "{image}"')
            record("Normal", "Created", f"Created container: {name}")
            record("Normal", "Started", f"Started container {name}")
        elif current == "ErrImagePull":
            message = status["state"]["waiting"]["message"]
            record("Warning", "Failed", f'Failed to pull image "{image}": {message}')
            record("Warning", "Failed", "Error: ErrImagePull")
        elif current == "ImagePullBackOff":
            record("Normal", "BackOff", f'Back-off pulling image "{image}"')
            record("Warning", "Failed", "Error: ImagePullBackOff")
        elif current == "CrashLoopBackOff":
            record(
                "Warning",
                "BackOff",
                f"Back-off restarting failed container {name} in pod "
                f"{metadata['name']}_{metadata['namespace']}({metadata['uid']})",
            )
