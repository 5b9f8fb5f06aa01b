"""Writes shared by the API and the controllers: server-set fields and deletes.

This layer plays the part of the real server's generic registry store: it
sets uid, creationTimestamp and generation, skips updates that change
nothing, and carries out graceful, finalizer-driven deletion.
"""

from __future__ import annotations

import copy
import itertools
import logging
import uuid
from datetime import timedelta
from typing import Any

from simulators.cluster.clock import Clock, format_time
from simulators.cluster.errors import (
    ApiError,
    already_exists,
    conflict,
    namespace_terminating,
    not_found,
)
from simulators.cluster.resources import BY_PLURAL, ResourceType
from simulators.cluster.store import DryRunStore, Store

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
_event_counter = itertools.count()
logger = logging.getLogger(__name__)


class Registry:
    """Create, update and delete objects with the real server's semantics."""

    def __init__(self, store: Store | DryRunStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def dry_run(self) -> Registry:
        """Return a registry that validates and returns results but stores nothing."""
        assert isinstance(self.store, Store)
        return Registry(DryRunStore(self.store), self.clock)

    def check_namespace(self, resource: ResourceType, obj: dict[str, Any]) -> None:
        """Raise 404 for a missing namespace and 403 for a terminating one."""
        if not resource.namespaced:
            return
        metadata = obj["metadata"]
        namespace = self.store.get("namespaces", None, metadata["namespace"])
        if namespace is None:
            raise not_found("namespaces", "", metadata["namespace"])
        if namespace.get("status", {}).get("phase") == "Terminating":
            raise namespace_terminating(
                resource.plural,
                resource.group,
                metadata.get("name", ""),
                metadata["namespace"],
            )

    def create(
        self, resource: ResourceType, obj: dict[str, Any], uid: str | None = None
    ) -> dict[str, Any]:
        """Store a new object with its server-set fields; 409 if the name is taken.

        `uid` is the uid chosen before defaulting, for kinds whose defaults use
        it; without it a new one is generated.
        """
        self.check_namespace(resource, obj)
        metadata = obj["metadata"]
        existing = self.store.get(
            resource.plural, metadata.get("namespace"), metadata["name"]
        )
        if existing is not None:
            raise already_exists(
                resource.plural,
                resource.group,
                metadata["name"],
                "deletionTimestamp" in existing["metadata"],
            )
        metadata["uid"] = uid or str(uuid.uuid4())
        metadata["creationTimestamp"] = self.clock.timestamp()
        metadata.pop("resourceVersion", None)
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            metadata.pop(key, None)
        if resource.has_generation:
            metadata["generation"] = 1
        else:
            metadata.pop("generation", None)
        return self.store.put(resource.plural, obj)

    def update(
        self, resource: ResourceType, obj: dict[str, Any], old: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new state of an existing object.

        Server-set metadata is kept from the old state. An update that changes
        nothing writes nothing and keeps the resourceVersion, as on the real
        server. Removing the last finalizer of a deleted object removes it.
        """
        metadata = obj["metadata"]
        old_metadata = old["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if key in old_metadata:
                metadata[key] = old_metadata[key]
            else:
                metadata.pop(key, None)
        if resource.has_generation and obj.get("spec") != old.get("spec"):
            metadata["generation"] = old_metadata.get("generation", 0) + 1
        metadata["resourceVersion"] = old_metadata["resourceVersion"]
        if obj == old:
            return copy.deepcopy(old)
        if "deletionTimestamp" in metadata and not metadata.get("finalizers"):
            if not metadata.get("deletionGracePeriodSeconds"):
                self.store.put(resource.plural, obj)
                removed = self.store.remove(
                    resource.plural, metadata.get("namespace"), metadata["name"]
                )
                assert removed is not None
                return removed
        return self.store.put(resource.plural, obj)

    def update_current(
        self, resource: ResourceType, obj: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Update against the stored state; None if the object is gone."""
        metadata = obj["metadata"]
        old = self.store.get(
            resource.plural, metadata.get("namespace"), metadata["name"]
        )
        if old is None:
            return None
        return self.update(resource, obj, old)

    def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        propagation: str | None = None,
        grace_period: int | None = None,
        preconditions: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Delete an object; returns its last state and whether it is gone now.

        Pods bound to a node get a deletionTimestamp first and the kubelet
        removes them. Foreground and Orphan deletion add a finalizer that the
        garbage collector removes once dependents are handled.
        """
        obj = self.store.get(resource.plural, namespace, name)
        if obj is None:
            raise not_found(resource.plural, resource.group, name)
        self._check_preconditions(resource, obj, preconditions or {})
        metadata = obj["metadata"]
        policy = propagation or resource.default_propagation
        if resource.kind == "Namespace":
            return self._delete_namespace(obj), False
        grace = self._grace_period(resource, obj, grace_period)
        finalizers = list(metadata.get("finalizers") or [])
        deleting = "deletionTimestamp" in metadata
        if not deleting and policy in ("Orphan", "Foreground"):
            finalizer = ORPHAN if policy == "Orphan" else FOREGROUND
            if finalizer not in finalizers:
                finalizers.append(finalizer)
        if grace == 0 and not finalizers:
            removed = self.store.remove(resource.plural, namespace, name)
            assert removed is not None
            return removed, True
        if deleting and finalizers and grace == 0:
            return obj, False
        if deleting and grace >= metadata.get("deletionGracePeriodSeconds", 0):
            # A repeated delete only ever shortens the grace period.
            return obj, False
        updated = copy.deepcopy(obj)
        updated_metadata = updated["metadata"]
        if finalizers:
            updated_metadata["finalizers"] = finalizers
        updated_metadata["deletionTimestamp"] = format_time(
            self.clock.now() + timedelta(seconds=grace)
        )
        updated_metadata["deletionGracePeriodSeconds"] = grace
        if resource.has_generation and not deleting:
            updated_metadata["generation"] = metadata.get("generation", 0) + 1
        return self.store.put(resource.plural, updated), False

    def _grace_period(
        self, resource: ResourceType, obj: dict[str, Any], requested: int | None
    ) -> int:
        if resource.kind != "Pod":
            return 0
        spec = obj.get("spec") or {}
        if not spec.get("nodeName"):
            return 0
        if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(requested, 0)
        return int(spec.get("terminationGracePeriodSeconds", 30))

    def _check_preconditions(
        self, resource: ResourceType, obj: dict[str, Any], preconditions: dict[str, Any]
    ) -> None:
        metadata = obj["metadata"]
        uid = preconditions.get("uid")
        version = preconditions.get("resourceVersion")
        if uid and uid != metadata["uid"]:
            raise conflict(
                resource.plural,
                resource.group,
                metadata["name"],
                f"Precondition failed: UID in precondition: {uid}, UID in object "
                f"meta: {metadata['uid']}",
            )
        if version and version != metadata["resourceVersion"]:
            raise conflict(
                resource.plural,
                resource.group,
                metadata["name"],
                "Precondition failed: ResourceVersion in precondition: "
                f"{version}, ResourceVersion in object meta: "
                f"{metadata['resourceVersion']}",
            )

    def _delete_namespace(self, obj: dict[str, Any]) -> dict[str, Any]:
        name = obj["metadata"]["name"]
        if name in ("default", "kube-system", "kube-public"):
            raise ApiError(
                403,
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                "Forbidden",
                details={"name": name, "kind": "namespaces"},
            )
        if "deletionTimestamp" in obj["metadata"]:
            return obj
        obj["metadata"]["deletionTimestamp"] = self.clock.timestamp()
        obj["metadata"]["deletionGracePeriodSeconds"] = 0
        obj.setdefault("status", {})["phase"] = "Terminating"
        return self.store.put("namespaces", obj)

    def record_event(
        self,
        involved: dict[str, Any],
        event_type: str,
        reason: str,
        message: str,
        component: str,
        host: str | None = None,
    ) -> None:
        """Create a core/v1 Event about an object, as an event recorder does."""
        metadata = involved["metadata"]
        namespace = metadata.get("namespace") or "default"
        now = self.clock.now()
        stamp = int(now.timestamp() * 1e9) + next(_event_counter)
        source: dict[str, Any] = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{metadata['name']}.{stamp:x}",
                "namespace": namespace,
            },
            "involvedObject": {
                "kind": involved["kind"],
                "namespace": metadata.get("namespace"),
                "name": metadata["name"],
                "uid": metadata["uid"],
                "apiVersion": involved["apiVersion"],
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": format_time(now),
            "lastTimestamp": format_time(now),
            "count": 1,
            "type": event_type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        if event["involvedObject"]["namespace"] is None:
            del event["involvedObject"]["namespace"]
        try:
            self.create(BY_PLURAL["events"], event)
        except ApiError as error:
            # The namespace is gone or terminating, so the event is dropped
            # as a real event recorder drops it.
            logger.debug(
                "Dropped event %s on %s: %s", reason, metadata["name"], error.message
            )
