"""Base of the simulated controllers: level-triggered reconcile on store changes."""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from typing import Any

from simulators.cluster.clock import Clock
from simulators.cluster.defaults import initial_status
from simulators.cluster.errors import ApiError
from simulators.cluster.names import generate_name
from simulators.cluster.pods import qos_class
from simulators.cluster.registry import Registry
from simulators.cluster.resources import BY_PLURAL, ResourceType
from simulators.cluster.selectors import selector_matches
from simulators.cluster.settings import ClusterSettings
from simulators.cluster.store import Change, Store

logger = logging.getLogger(__name__)


@dataclass
class ControllerContext:
    """What every controller shares: storage, writes, clock and settings."""

    store: Store
    registry: Registry
    clock: Clock
    settings: ClusterSettings


def owner_uids(obj: dict[str, Any], controller_only: bool = False) -> list[str]:
    return [
        reference["uid"]
        for reference in obj["metadata"].get("ownerReferences") or []
        if reference.get("controller") or not controller_only
    ]


def controller_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """Return the ownerReference a controller puts on the objects it creates."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def adopt_orphans(
    registry: Registry,
    owner: dict[str, Any],
    resource: ResourceType,
    candidates: list[dict[str, Any]],
) -> None:
    """Give objects that match the owner's selector and have no controller an
    ownerReference to it, as controllers adopt orphans on the real cluster."""
    selector = owner["spec"].get("selector")
    for obj in candidates:
        metadata = obj["metadata"]
        if owner_uids(obj, controller_only=True) or "deletionTimestamp" in metadata:
            continue
        if not selector_matches(selector, metadata.get("labels") or {}):
            continue
        updated = copy.deepcopy(obj)
        references = updated["metadata"].setdefault("ownerReferences", [])
        references.append(controller_reference(owner))
        obj.update(registry.update(resource, updated, obj))


class Controller:
    """Runs `sync` after every change to the watched resources.

    Changes that arrive while `sync` runs wake it once more, so the
    controller converges on the stored state. `sync` writes only what
    differs, so a pass that finds nothing to do writes nothing. `wake_after`
    schedules a pass for a future time, for example a kubelet delay.
    """

    name = "controller"
    watched: tuple[str, ...] = ()

    def __init__(self, context: ControllerContext) -> None:
        self.context = context
        self.store = context.store
        self.registry = context.registry
        self.clock = context.clock
        self.settings = context.settings
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._wake.set()
        self.store.subscribe(self._on_change)
        self.clock.on_advance(self.wake)
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"cluster-{self.name}"
        )

    async def stop(self) -> None:
        self.store.unsubscribe(self._on_change)
        self.clock.remove_listener(self.wake)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def _on_change(self, change: Change) -> None:
        if change.resource in self.watched:
            self.wake()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def wake_after(self, seconds: float) -> None:
        """Run another pass after `seconds` of event-loop time.

        Only the earliest requested pass is scheduled, because that pass
        requests the later ones again.
        """
        loop = asyncio.get_running_loop()
        when = loop.time() + max(seconds, 0)
        if self._timer is not None and self._timer.when() <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self.wake()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                self.sync()
            except Exception:
                logger.exception("The %s controller failed a sync pass", self.name)
            # Let API requests and the other controllers run between passes.
            await asyncio.sleep(0)

    def create_owned_pod(self, owner: dict[str, Any], component: str) -> bool:
        """Create a pod from an owner's template, as the ReplicaSet and Job
        controllers do, and record the SuccessfulCreate or FailedCreate event."""
        template = copy.deepcopy(owner["spec"]["template"])
        metadata = template.get("metadata") or {}
        prefix = f"{owner['metadata']['name']}-"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": generate_name(prefix),
                "generateName": prefix,
                "namespace": owner["metadata"]["namespace"],
                "labels": metadata.get("labels") or {},
                "ownerReferences": [controller_reference(owner)],
            },
            "spec": template["spec"],
            "status": initial_status("Pod"),
        }
        if metadata.get("annotations"):
            pod["metadata"]["annotations"] = metadata["annotations"]
        pod["status"]["qosClass"] = qos_class(pod["spec"])
        try:
            created = self.registry.create(BY_PLURAL["pods"], pod)
        except ApiError as error:
            self.registry.record_event(
                owner,
                "Warning",
                "FailedCreate",
                f"Error creating: {error.message}",
                component,
            )
            return False
        self.registry.record_event(
            owner,
            "Normal",
            "SuccessfulCreate",
            f"Created pod: {created['metadata']['name']}",
            component,
        )
        return True

    def sync(self) -> None:
        raise NotImplementedError
