"""The simulated scheduler: binds pods to the single node if their requests fit."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from typing import Any

from simulators.cluster.controller import Controller
from simulators.cluster.pods import condition, is_active, pod_requests
from simulators.cluster.quantity import parse_quantity
from simulators.cluster.resources import BY_PLURAL

PODS = BY_PLURAL["pods"]
COMPONENT = "default-scheduler"


class Scheduler(Controller):
    """Bind pending pods after `pod_schedule_delay`, or mark them Unschedulable."""

    name = COMPONENT
    watched = ("pods",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._first_seen: dict[str, float] = {}

    def sync(self) -> None:
        now = asyncio.get_running_loop().time()
        pods = self.store.list("pods")
        present = {pod["metadata"]["uid"] for pod in pods}
        self._first_seen = {
            uid: seen for uid, seen in self._first_seen.items() if uid in present
        }
        pending = [
            pod
            for pod in pods
            if not pod["spec"].get("nodeName")
            and is_active(pod)
            and pod["spec"].get("schedulerName", COMPONENT) == COMPONENT
        ]
        pending.sort(key=lambda pod: pod["metadata"]["creationTimestamp"])
        for pod in pending:
            due = self._first_seen.setdefault(pod["metadata"]["uid"], now)
            due += self.settings.pod_schedule_delay
            if now < due:
                self.wake_after(due - now)
                continue
            self._schedule(pod)

    def _shortages(self, pod: dict[str, Any]) -> list[str]:
        """Return what the node lacks for the pod, e.g. ["Insufficient cpu"]."""
        node = self.settings.node_name
        bound = [
            other
            for other in self.store.list("pods")
            if other["spec"].get("nodeName") == node and is_active(other)
        ]
        used = {"cpu": Decimal(0), "memory": Decimal(0)}
        for other in bound:
            for name, value in pod_requests(other).items():
                used[name] += value
        capacity = {
            "cpu": parse_quantity(self.settings.node_cpu),
            "memory": parse_quantity(self.settings.node_memory),
        }
        shortages = [
            f"Insufficient {name}"
            for name, value in pod_requests(pod).items()
            if used[name] + value > capacity[name]
        ]
        if len(bound) >= self.settings.node_max_pods:
            shortages.append("Too many pods")
        return shortages

    def _schedule(self, pod: dict[str, Any]) -> None:
        shortages = self._shortages(pod)
        updated = copy.deepcopy(pod)
        status = updated.setdefault("status", {})
        conditions = [
            c for c in status.get("conditions") or [] if c["type"] != "PodScheduled"
        ]
        now = self.clock.timestamp()
        if shortages:
            reasons = ", ".join(f"1 {shortage}" for shortage in shortages)
            message = (
                f"0/1 nodes are available: {reasons}. preemption: 0/1 nodes are "
                "available: 1 No preemption victims found for incoming pod."
            )
            previous = condition(pod, "PodScheduled")
            if previous is not None and previous.get("message") == message:
                return
            conditions.append(
                _scheduled_condition("False", now, "Unschedulable", message)
            )
            status["conditions"] = conditions
            self.registry.update(PODS, updated, pod)
            self.registry.record_event(
                pod, "Warning", "FailedScheduling", message, COMPONENT
            )
            return
        updated["spec"]["nodeName"] = self.settings.node_name
        conditions.append(_scheduled_condition("True", now))
        status["conditions"] = conditions
        self.registry.update(PODS, updated, pod)
        metadata = pod["metadata"]
        self.registry.record_event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {metadata['namespace']}/{metadata['name']} to "
            f"{self.settings.node_name}",
            COMPONENT,
        )


def _scheduled_condition(
    value: str, now: str, reason: str | None = None, message: str | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "PodScheduled",
        "status": value,
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }
    if reason:
        result["reason"] = reason
    if message:
        result["message"] = message
    return result
