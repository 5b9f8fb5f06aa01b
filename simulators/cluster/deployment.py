"""The deployment controller: ReplicaSets per pod template, rollouts and status."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from simulators.cluster.controller import (
    Controller,
    adopt_orphans,
    controller_reference,
    owner_uids,
)
from simulators.cluster.deployment_status import (
    calculate_status,
    surge_and_unavailable,
    sync_rollout_status,
)
from simulators.cluster.errors import ApiError
from simulators.cluster.names import SAFE_ALPHABET
from simulators.cluster.resources import BY_PLURAL

logger = logging.getLogger(__name__)

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
DEPLOYMENTS = BY_PLURAL["deployments"]
REPLICA_SETS = BY_PLURAL["replicasets"]


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def template_hash(template: dict[str, Any], collision_count: int | None) -> str:
    """Return the pod-template-hash: FNV-32a of the template, safely encoded.

    NOTE: the real controller hashes Go's printed form of the template, so
    values differ from a real cluster; the length and alphabet are the same.
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += collision_count.to_bytes(4, "little")
    digits = str(fnv32a(data))
    return "".join(SAFE_ALPHABET[ord(digit) % len(SAFE_ALPHABET)] for digit in digits)


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    labels = template.get("metadata", {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return template


def _revision(obj: dict[str, Any]) -> int:
    annotations = obj["metadata"].get("annotations") or {}
    try:
        return int(annotations.get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(rs: dict[str, Any]) -> int:
    return rs["spec"].get("replicas", 0)


class DeploymentController(Controller):
    """Create a ReplicaSet per pod template and roll replicas over to it."""

    name = "deployment-controller"
    watched = ("deployments", "replicasets", "pods")

    def sync(self) -> None:
        for deployment in self.store.list("deployments"):
            if "deletionTimestamp" in deployment["metadata"]:
                continue
            try:
                self.sync_deployment(deployment)
            except ApiError as error:
                # A write raced with a client write; the next pass retries.
                logger.debug(
                    "Sync of deployment %s/%s failed: %s",
                    deployment["metadata"]["namespace"],
                    deployment["metadata"]["name"],
                    error.message,
                )
                self.wake()

    def sync_deployment(self, deployment: dict[str, Any]) -> None:
        """Pick or create the ReplicaSet of the current template, scale, report."""
        owned = self._owned_replica_sets(deployment)
        new_rs = self._find_new_replica_set(deployment, owned)
        old_rss = [rs for rs in owned if rs is not new_rs]

        if deployment["spec"].get("paused"):
            self._write_status(deployment, owned, new_rs)
            return

        if new_rs is None:
            if self._recreate_waits(deployment, old_rss):
                self._scale_down_all(deployment, old_rss)
                self._write_status(deployment, owned, None)
                return
            new_rs = self._create_replica_set(deployment, old_rss)
            if new_rs is None:
                return
        else:
            self._sync_revision(deployment, new_rs, old_rss)

        self._roll(deployment, new_rs, old_rss)
        self._cleanup(deployment, old_rss)

        # Scaling stored new versions, so the status comes from a fresh read.
        owned = self._owned_replica_sets(deployment)
        self._write_status(
            deployment, owned, self._find_new_replica_set(deployment, owned)
        )

    def _owned_replica_sets(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the ReplicaSets the Deployment controls, after adopting orphans."""
        metadata = deployment["metadata"]
        replica_sets = self.store.list("replicasets", metadata["namespace"])
        adopt_orphans(self.registry, deployment, REPLICA_SETS, replica_sets)
        return [
            rs
            for rs in replica_sets
            if metadata["uid"] in owner_uids(rs, controller_only=True)
        ]

    @staticmethod
    def _find_new_replica_set(
        deployment: dict[str, Any], owned: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Return the ReplicaSet whose template equals the Deployment's, if any."""
        template = deployment["spec"]["template"]
        for rs in owned:
            if _without_hash(rs["spec"]["template"]) == template:
                return rs
        return None

    def _recreate_waits(
        self, deployment: dict[str, Any], old_rss: list[dict[str, Any]]
    ) -> bool:
        """Whether a Recreate rollout must first stop the pods of old ReplicaSets.

        Pods that are terminating still count, as in the real controller.
        """
        if deployment["spec"].get("strategy", {}).get("type") != "Recreate":
            return False
        if any(_replicas(rs) for rs in old_rss):
            return True
        old_uids = {rs["metadata"]["uid"] for rs in old_rss}
        for pod in self.store.list("pods", deployment["metadata"]["namespace"]):
            if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                continue
            if old_uids & set(owner_uids(pod, controller_only=True)):
                return True
        return False

    def _create_replica_set(
        self, deployment: dict[str, Any], old_rss: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Create the ReplicaSet of the current template; None if that failed."""
        rs = self._replica_set_for(deployment, old_rss)
        name = rs["metadata"]["name"]
        try:
            created = self.registry.create(REPLICA_SETS, rs)
        except ApiError as error:
            logger.debug("Creating replicaset %s failed: %s", name, error.message)
            if error.code == 409:
                # Another object has the name, so the next hash uses a new
                # collisionCount, as the real controller does.
                self._bump_collision_count(deployment)
            return None

        replicas = rs["spec"]["replicas"]
        if replicas:
            self.registry.record_event(
                deployment,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {name} from 0 to {replicas}",
                "deployment-controller",
            )
        self._set_progressing(
            deployment, "NewReplicaSetCreated", f'Created new replica set "{name}"'
        )
        return created

    def _replica_set_for(
        self, deployment: dict[str, Any], old_rss: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Return the manifest of `<deployment>-<pod-template-hash>`."""
        spec = deployment["spec"]
        metadata = deployment["metadata"]
        collisions = deployment.get("status", {}).get("collisionCount")
        pod_hash = template_hash(spec["template"], collisions)

        template = copy.deepcopy(spec["template"])
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash

        surge, _ = surge_and_unavailable(deployment)
        annotations = dict(metadata.get("annotations") or {})
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        annotations[REVISION] = str(max([_revision(rs) for rs in old_rss] + [0]) + 1)
        annotations[DESIRED_REPLICAS] = str(spec["replicas"])
        annotations[MAX_REPLICAS] = str(spec["replicas"] + surge)

        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{metadata['name']}-{pod_hash}",
                "namespace": metadata["namespace"],
                "labels": dict(labels),
                "annotations": annotations,
                "ownerReferences": [controller_reference(deployment)],
            },
            "spec": {
                "replicas": self._new_replicas(deployment, old_rss, 0),
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
            "status": {"replicas": 0},
        }

    def _bump_collision_count(self, deployment: dict[str, Any]) -> None:
        updated = copy.deepcopy(deployment)
        status = updated.setdefault("status", {})
        status["collisionCount"] = status.get("collisionCount", 0) + 1
        self.registry.update_current(DEPLOYMENTS, updated)

    def _set_progressing(
        self, deployment: dict[str, Any], reason: str, message: str
    ) -> None:
        """Write the Progressing condition at once, as after creating a ReplicaSet."""
        metadata = deployment["metadata"]
        current = self.store.get("deployments", metadata["namespace"], metadata["name"])
        if current is None:
            return
        updated = copy.deepcopy(current)
        status = updated.setdefault("status", {})
        now = self.clock.timestamp()
        conditions = [
            c for c in status.get("conditions", []) if c["type"] != "Progressing"
        ]
        conditions.append(
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            }
        )
        status["conditions"] = conditions
        self.registry.update(DEPLOYMENTS, updated, current)

    def _sync_revision(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any],
        old_rss: list[dict[str, Any]],
    ) -> None:
        """Give a reused ReplicaSet (a rollback) the next revision number."""
        newest_old = max([_revision(rs) for rs in old_rss] + [0])
        if _revision(new_rs) <= newest_old:
            updated = copy.deepcopy(new_rs)
            updated["metadata"].setdefault("annotations", {})[REVISION] = str(
                newest_old + 1
            )
            new_rs.update(self.registry.update(REPLICA_SETS, updated, new_rs))
        revision = new_rs["metadata"]["annotations"].get(REVISION)
        current = self.store.get(
            "deployments",
            deployment["metadata"]["namespace"],
            deployment["metadata"]["name"],
        )
        if (
            current is not None
            and (current["metadata"].get("annotations") or {}).get(REVISION) != revision
        ):
            updated = copy.deepcopy(current)
            updated["metadata"].setdefault("annotations", {})[REVISION] = revision
            self.registry.update(DEPLOYMENTS, updated, current)

    def _new_replicas(
        self, deployment: dict[str, Any], old_rss: list[dict[str, Any]], current: int
    ) -> int:
        """Return the replica count for the new ReplicaSet under the strategy."""
        replicas = deployment["spec"]["replicas"]
        if deployment["spec"].get("strategy", {}).get("type") == "Recreate":
            return replicas
        if current >= replicas:
            return replicas
        surge, _ = surge_and_unavailable(deployment)
        total = current + sum(_replicas(rs) for rs in old_rss)
        room = replicas + surge - total
        if room <= 0:
            return current
        return current + min(room, replicas - current)

    def _roll(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any],
        old_rss: list[dict[str, Any]],
    ) -> None:
        target = self._new_replicas(deployment, old_rss, _replicas(new_rs))
        if target != _replicas(new_rs):
            self._scale(deployment, new_rs, target)
        if deployment["spec"].get("strategy", {}).get("type") == "Recreate":
            self._scale_down_all(deployment, old_rss)
            return
        self._scale_down_old(deployment, new_rs, old_rss)

    def _scale_down_old(
        self,
        deployment: dict[str, Any],
        new_rs: dict[str, Any],
        old_rss: list[dict[str, Any]],
    ) -> None:
        """Scale old ReplicaSets down, keeping replicas - maxUnavailable available."""
        if not any(_replicas(rs) for rs in old_rss):
            return

        _, unavailable = surge_and_unavailable(deployment)
        min_available = deployment["spec"]["replicas"] - unavailable
        everything = [new_rs, *old_rss]
        new_unavailable = _replicas(new_rs) - new_rs.get("status", {}).get(
            "availableReplicas", 0
        )
        budget = (
            sum(_replicas(rs) for rs in everything) - min_available - new_unavailable
        )
        ordered = sorted(old_rss, key=lambda rs: rs["metadata"]["creationTimestamp"])

        # First remove old replicas that are not available anyway.
        for rs in ordered:
            if budget <= 0:
                return
            unhealthy = _replicas(rs) - rs.get("status", {}).get("availableReplicas", 0)
            cut = min(budget, max(unhealthy, 0))
            if cut:
                self._scale(deployment, rs, _replicas(rs) - cut)
                budget -= cut

        # Then remove available old replicas while enough others stay available.
        available = sum(
            rs.get("status", {}).get("availableReplicas", 0) for rs in everything
        )
        budget = available - min_available
        for rs in ordered:
            if budget <= 0:
                return
            cut = min(budget, _replicas(rs))
            if cut:
                self._scale(deployment, rs, _replicas(rs) - cut)
                budget -= cut

    def _scale_down_all(
        self, deployment: dict[str, Any], rss: list[dict[str, Any]]
    ) -> None:
        for rs in rss:
            if _replicas(rs):
                self._scale(deployment, rs, 0)

    def _scale(
        self, deployment: dict[str, Any], rs: dict[str, Any], replicas: int
    ) -> None:
        before = _replicas(rs)
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = replicas
        surge, _ = surge_and_unavailable(deployment)
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations[DESIRED_REPLICAS] = str(deployment["spec"]["replicas"])
        annotations[MAX_REPLICAS] = str(deployment["spec"]["replicas"] + surge)
        rs.update(self.registry.update(REPLICA_SETS, updated, rs))
        direction = "up" if replicas > before else "down"
        self.registry.record_event(
            deployment,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {before} "
            f"to {replicas}",
            "deployment-controller",
        )

    def _cleanup(
        self, deployment: dict[str, Any], old_rss: list[dict[str, Any]]
    ) -> None:
        """Delete the oldest idle ReplicaSets beyond revisionHistoryLimit."""
        limit = deployment["spec"].get("revisionHistoryLimit", 10)
        idle = [
            rs
            for rs in old_rss
            if not _replicas(rs)
            and not rs.get("status", {}).get("replicas")
            and "deletionTimestamp" not in rs["metadata"]
        ]
        idle.sort(key=_revision)
        for rs in idle[: max(len(idle) - limit, 0)]:
            try:
                self.registry.delete(
                    REPLICA_SETS, rs["metadata"]["namespace"], rs["metadata"]["name"]
                )
            except ApiError as error:
                logger.debug("Cleanup of replicaset failed: %s", error.message)

    def _write_status(
        self,
        deployment: dict[str, Any],
        owned: list[dict[str, Any]],
        new_rs: dict[str, Any] | None,
    ) -> None:
        current = self.store.get(
            "deployments",
            deployment["metadata"]["namespace"],
            deployment["metadata"]["name"],
        )
        if current is None:
            return
        now = self.clock.now()
        status = calculate_status(current, owned, new_rs, self.clock.timestamp())
        wake = sync_rollout_status(current, status, new_rs, now)
        if wake is not None:
            self.wake_after(wake)
        if status != current.get("status"):
            updated = copy.deepcopy(current)
            updated["status"] = status
            self.registry.update(DEPLOYMENTS, updated, current)
