"""The garbage collector and the namespace controller.

The garbage collector deletes objects whose owners are all gone, and carries
out Foreground and Orphan deletion through the `foregroundDeletion` and
`orphan` finalizers. The namespace controller empties a terminating namespace
and then removes it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from simulators.cluster.controller import Controller
from simulators.cluster.errors import ApiError
from simulators.cluster.registry import FOREGROUND, ORPHAN
from simulators.cluster.resources import BY_PLURAL, RESOURCES, ResourceType

NAMESPACED = tuple(resource for resource in RESOURCES if resource.namespaced)
ALL_PLURALS = tuple(resource.plural for resource in RESOURCES)
logger = logging.getLogger(__name__)


class GarbageCollector(Controller):
    """Delete dependents by ownerReferences, honouring the propagation policy."""

    name = "garbage-collector"
    # Events rarely have owners and change most often, so their writes do not
    # start a pass; a pass for any other change collects them too.
    watched = tuple(plural for plural in ALL_PLURALS if plural != "events")

    def sync(self) -> None:
        objects = [
            (resource, obj)
            for resource in RESOURCES
            for obj in self.store.list(resource.plural)
        ]
        by_uid = {obj["metadata"]["uid"]: obj for _, obj in objects}
        for resource, obj in objects:
            try:
                self._sync_object(resource, obj, objects, by_uid)
            except ApiError as error:
                # The object changed or went away meanwhile; retry on the next pass.
                logger.debug(
                    "Garbage collection of %s %s failed: %s",
                    resource.plural,
                    obj["metadata"]["name"],
                    error.message,
                )
                self.wake()

    def _sync_object(
        self,
        resource: ResourceType,
        obj: dict[str, Any],
        objects: list[tuple[ResourceType, dict[str, Any]]],
        by_uid: dict[str, dict[str, Any]],
    ) -> None:
        metadata = obj["metadata"]
        finalizers = metadata.get("finalizers") or []
        if "deletionTimestamp" in metadata and ORPHAN in finalizers:
            self._orphan_dependents(obj, objects)
            self._remove_finalizer(resource, obj, ORPHAN)
            return
        if "deletionTimestamp" in metadata and FOREGROUND in finalizers:
            if self._delete_dependents(obj, objects):
                self._remove_finalizer(resource, obj, FOREGROUND)
            return
        references = metadata.get("ownerReferences") or []
        if not references:
            return
        alive = [reference for reference in references if reference["uid"] in by_uid]
        if not alive:
            if "deletionTimestamp" not in metadata:
                self.registry.delete(
                    resource, metadata.get("namespace"), metadata["name"]
                )
        elif len(alive) < len(references):
            updated = copy.deepcopy(obj)
            updated["metadata"]["ownerReferences"] = alive
            self.registry.update(resource, updated, obj)

    @staticmethod
    def _dependents(
        owner: dict[str, Any], objects: list[tuple[ResourceType, dict[str, Any]]]
    ) -> list[tuple[ResourceType, dict[str, Any], dict[str, Any]]]:
        uid = owner["metadata"]["uid"]
        found = []
        for resource, obj in objects:
            for reference in obj["metadata"].get("ownerReferences") or []:
                if reference["uid"] == uid:
                    found.append((resource, obj, reference))
        return found

    def _orphan_dependents(
        self, owner: dict[str, Any], objects: list[tuple[ResourceType, dict[str, Any]]]
    ) -> None:
        uid = owner["metadata"]["uid"]
        for resource, obj, _ in self._dependents(owner, objects):
            updated = copy.deepcopy(obj)
            references = [
                r for r in updated["metadata"]["ownerReferences"] if r["uid"] != uid
            ]
            if references:
                updated["metadata"]["ownerReferences"] = references
            else:
                del updated["metadata"]["ownerReferences"]
            self.registry.update(resource, updated, obj)

    def _delete_dependents(
        self, owner: dict[str, Any], objects: list[tuple[ResourceType, dict[str, Any]]]
    ) -> bool:
        """Delete dependents in the foreground; True when none blocks the owner."""
        blocking = False
        for resource, obj, reference in self._dependents(owner, objects):
            if reference.get("blockOwnerDeletion"):
                blocking = True
            if "deletionTimestamp" not in obj["metadata"]:
                policy = (
                    "Foreground"
                    if reference.get("blockOwnerDeletion")
                    else "Background"
                )
                metadata = obj["metadata"]
                self.registry.delete(
                    resource, metadata.get("namespace"), metadata["name"], policy
                )
        return not blocking

    def _remove_finalizer(
        self, resource: ResourceType, obj: dict[str, Any], finalizer: str
    ) -> None:
        updated = copy.deepcopy(obj)
        remaining = [f for f in obj["metadata"]["finalizers"] if f != finalizer]
        if remaining:
            updated["metadata"]["finalizers"] = remaining
        else:
            del updated["metadata"]["finalizers"]
        self.registry.update(resource, updated, obj)


class NamespaceController(Controller):
    """Delete everything in a terminating namespace, then remove the namespace."""

    name = "namespace-controller"
    watched = ALL_PLURALS

    def sync(self) -> None:
        for namespace in self.store.list("namespaces"):
            if "deletionTimestamp" in namespace["metadata"]:
                try:
                    self._finalize(namespace)
                except ApiError as error:
                    logger.debug(
                        "Finalizing namespace %s failed: %s",
                        namespace["metadata"]["name"],
                        error.message,
                    )
                    self.wake()

    def _finalize(self, namespace: dict[str, Any]) -> None:
        name = namespace["metadata"]["name"]
        remaining = False
        for resource in NAMESPACED:
            for obj in self.store.list(resource.plural, name):
                remaining = True
                if "deletionTimestamp" not in obj["metadata"]:
                    self.registry.delete(
                        resource, name, obj["metadata"]["name"], "Background"
                    )
        if remaining:
            return
        if namespace.get("spec", {}).get("finalizers"):
            updated = copy.deepcopy(namespace)
            updated["spec"]["finalizers"] = []
            namespace = self.registry.update(
                BY_PLURAL["namespaces"], updated, namespace
            )
        if not namespace["metadata"].get("finalizers"):
            self.store.remove("namespaces", None, name)
