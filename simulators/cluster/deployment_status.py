"""Deployment rollout arithmetic and status: counters and the two conditions."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from simulators.cluster.clock import format_time, parse_time

MAX_INT32 = 2**31 - 1


def resolve_fraction(value: Any, total: int, round_up: bool) -> int:
    """Resolve an int-or-percent such as 25% against a replica count."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        fraction = int(value[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(value or 0)


def surge_and_unavailable(deployment: dict[str, Any]) -> tuple[int, int]:
    """Return maxSurge and maxUnavailable as replica counts (0, 0 for Recreate)."""
    spec = deployment["spec"]
    strategy = spec.get("strategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    replicas = spec.get("replicas", 1)
    surge = resolve_fraction(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = resolve_fraction(
        rolling.get("maxUnavailable", "25%"), replicas, False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _sum(rss: list[dict[str, Any]], field: str) -> int:
    return sum(rs.get("status", {}).get(field, 0) for rs in rss)


def calculate_status(
    deployment: dict[str, Any],
    rss: list[dict[str, Any]],
    new_rs: dict[str, Any] | None,
    stamp: str,
) -> dict[str, Any]:
    """Return the new status with counters and the Available condition.

    Counters that are zero are left out, as Go's omitempty leaves them out.
    """
    old_status = deployment.get("status") or {}
    spec_replicas = deployment["spec"].get("replicas", 1)
    available = _sum(rss, "availableReplicas")
    total = sum(rs["spec"].get("replicas", 0) for rs in rss)
    counts = {
        "replicas": _sum(rss, "replicas"),
        "updatedReplicas": _sum([new_rs], "replicas") if new_rs else 0,
        "readyReplicas": _sum(rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    status: dict[str, Any] = {
        "observedGeneration": deployment["metadata"].get("generation", 1)
    }
    status.update({key: value for key, value in counts.items() if value})
    if old_status.get("collisionCount"):
        status["collisionCount"] = old_status["collisionCount"]
    status["conditions"] = [dict(c) for c in old_status.get("conditions") or []]
    _, max_unavailable = surge_and_unavailable(deployment)
    if available >= spec_replicas - max_unavailable:
        set_condition(
            status,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            stamp,
        )
    else:
        set_condition(
            status,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            stamp,
        )
    return status


def set_condition(
    status: dict[str, Any],
    condition_type: str,
    value: str,
    reason: str,
    message: str,
    stamp: str,
) -> None:
    """Set a condition unless one with the same status and reason exists.

    A condition whose status stays the same keeps its lastTransitionTime.
    """
    conditions = status.setdefault("conditions", [])
    current = next((c for c in conditions if c["type"] == condition_type), None)
    if (
        current is not None
        and current["status"] == value
        and current["reason"] == reason
    ):
        return
    condition = {
        "type": condition_type,
        "status": value,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }
    if current is not None:
        if current["status"] == value:
            condition["lastTransitionTime"] = current["lastTransitionTime"]
        conditions.remove(current)
    conditions.append(condition)


def _complete(deployment: dict[str, Any], status: dict[str, Any]) -> bool:
    replicas = deployment["spec"].get("replicas", 1)
    generation = deployment["metadata"].get("generation", 1)
    return (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        and status.get("observedGeneration", 0) >= generation
    )


def _progressing(old: dict[str, Any], new: dict[str, Any]) -> bool:
    def old_replicas(status: dict[str, Any]) -> int:
        return status.get("replicas", 0) - status.get("updatedReplicas", 0)

    return (
        new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or old_replicas(new) < old_replicas(old)
        or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def _progressing_condition(status: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in status["conditions"] if c["type"] == "Progressing"), None)


def sync_rollout_status(
    deployment: dict[str, Any],
    status: dict[str, Any],
    new_rs: dict[str, Any] | None,
    now: datetime,
) -> float | None:
    """Set the Progressing condition in `status`, as syncRolloutStatus does.

    Returns the seconds until the progress deadline passes while a rollout
    runs, so that the controller checks again then; otherwise None.
    """
    spec = deployment["spec"]
    stamp = format_time(now)
    if spec.get("paused"):
        set_condition(
            status,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
            stamp,
        )
        return None
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is None or deadline >= MAX_INT32:
        status["conditions"] = [
            c for c in status["conditions"] if c["type"] != "Progressing"
        ]
        return None
    current = _progressing_condition(status)
    finished = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current["reason"] == "NewReplicaSetAvailable"
    )
    if finished:
        return None
    subject = (
        f'ReplicaSet "{new_rs["metadata"]["name"]}"'
        if new_rs
        else f'Deployment "{deployment["metadata"]["name"]}"'
    )
    if _complete(deployment, status):
        set_condition(
            status,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f"{subject} has successfully progressed.",
            stamp,
        )
        return None
    if _progressing(deployment.get("status") or {}, status):
        _mark_progress(status, current, f"{subject} is progressing.", stamp)
        return float(deadline)
    if current is None:
        return None
    expires = parse_time(current["lastUpdateTime"]) + timedelta(seconds=deadline)
    if current["reason"] == "ProgressDeadlineExceeded" or now > expires:
        set_condition(
            status,
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            f"{subject} has timed out progressing.",
            stamp,
        )
        return None
    # Check again just after the deadline; timestamps have whole seconds.
    return (expires - now).total_seconds() + 1.0


def _mark_progress(
    status: dict[str, Any], current: dict[str, Any] | None, message: str, stamp: str
) -> None:
    """Set ReplicaSetUpdated with a new lastUpdateTime, even for the same reason."""
    condition = {
        "type": "Progressing",
        "status": "True",
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": "ReplicaSetUpdated",
        "message": message,
    }
    if current is not None:
        if current["status"] == "True":
            condition["lastTransitionTime"] = current["lastTransitionTime"]
        status["conditions"].remove(current)
    status["conditions"].append(condition)
