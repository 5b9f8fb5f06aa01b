"""The ReplicaSet controller: create and delete pods to match spec.replicas."""

from __future__ import annotations

import copy
import logging
from typing import Any

from simulators.cluster.clock import parse_time
from simulators.cluster.controller import (
    Controller,
    adopt_orphans,
    owner_uids,
)
from simulators.cluster.errors import ApiError
from simulators.cluster.pods import is_active, is_ready, ready_since
from simulators.cluster.resources import BY_PLURAL

PODS = BY_PLURAL["pods"]
REPLICA_SETS = BY_PLURAL["replicasets"]
COMPONENT = "replicaset-controller"
logger = logging.getLogger(__name__)


def _deletion_rank(pod: dict[str, Any]) -> tuple[int, int, int, float]:
    """Order pods for scale-down: unscheduled, pending, not ready, then newest."""
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}
    created = parse_time(pod["metadata"]["creationTimestamp"]).timestamp()
    return (
        1 if pod["spec"].get("nodeName") else 0,
        phase_rank.get(pod.get("status", {}).get("phase", "Pending"), 0),
        1 if is_ready(pod) else 0,
        -created,
    )


class ReplicaSetController(Controller):
    """Keep spec.replicas active pods per ReplicaSet and report their counts."""

    name = COMPONENT
    watched = ("replicasets", "pods")

    def sync(self) -> None:
        for rs in self.store.list("replicasets"):
            if "deletionTimestamp" in rs["metadata"]:
                continue
            try:
                self.sync_replica_set(rs)
            except ApiError as error:
                # A client changed the ReplicaSet meanwhile; retry on the next pass.
                logger.debug(
                    "Sync of replicaset %s/%s failed: %s",
                    rs["metadata"]["namespace"],
                    rs["metadata"]["name"],
                    error.message,
                )
                self.wake()

    def _owned_pods(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the pods the ReplicaSet controls, after adopting orphans."""
        metadata = rs["metadata"]
        pods = self.store.list("pods", metadata["namespace"])
        adopt_orphans(self.registry, rs, PODS, pods)
        return [
            pod
            for pod in pods
            if metadata["uid"] in owner_uids(pod, controller_only=True)
        ]

    def sync_replica_set(self, rs: dict[str, Any]) -> None:
        active = [pod for pod in self._owned_pods(rs) if is_active(pod)]
        difference = rs["spec"].get("replicas", 1) - len(active)
        if difference > 0:
            for _ in range(difference):
                if not self._create_pod(rs):
                    break
        elif difference < 0:
            for pod in sorted(active, key=_deletion_rank)[:-difference]:
                self._delete_pod(rs, pod)
        self._write_status(rs)

    def _create_pod(self, rs: dict[str, Any]) -> bool:
        return self.create_owned_pod(rs, COMPONENT)

    def _delete_pod(self, rs: dict[str, Any], pod: dict[str, Any]) -> None:
        metadata = pod["metadata"]
        try:
            self.registry.delete(PODS, metadata["namespace"], metadata["name"])
        except ApiError as error:
            logger.debug("Deleting pod %s failed: %s", metadata["name"], error.message)
            return
        self.registry.record_event(
            rs,
            "Normal",
            "SuccessfulDelete",
            f"Deleted pod: {metadata['name']}",
            COMPONENT,
        )

    def _write_status(self, rs: dict[str, Any]) -> None:
        current = self.store.get(
            "replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]
        )
        if current is None:
            return
        active = [pod for pod in self._owned_pods(current) if is_active(pod)]
        template_labels = (current["spec"]["template"].get("metadata") or {}).get(
            "labels"
        ) or {}
        min_ready = current["spec"].get("minReadySeconds", 0)
        now = self.clock.now()
        available = 0
        for pod in active:
            since = ready_since(pod)
            if since is None:
                continue
            waited = (now - parse_time(since)).total_seconds()
            if waited >= min_ready:
                available += 1
            else:
                self.wake_after(min_ready - waited)
        counts = {
            "fullyLabeledReplicas": sum(
                1
                for pod in active
                if all(
                    (pod["metadata"].get("labels") or {}).get(key) == value
                    for key, value in template_labels.items()
                )
            ),
            "readyReplicas": sum(1 for pod in active if is_ready(pod)),
            "availableReplicas": available,
        }
        status: dict[str, Any] = {"replicas": len(active)}
        status.update({key: value for key, value in counts.items() if value})
        status["observedGeneration"] = current["metadata"].get("generation", 1)
        if current.get("status", {}).get("conditions"):
            status["conditions"] = current["status"]["conditions"]
        if status != current.get("status"):
            updated = copy.deepcopy(current)
            updated["status"] = status
            self.registry.update(REPLICA_SETS, updated, current)
