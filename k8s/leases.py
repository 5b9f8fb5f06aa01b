"""Hold coordination.k8s.io/v1 Leases: one for the leader, one per Service.

A Lease is held by the identity in ``spec.holderIdentity`` until
``renewTime + leaseDurationSeconds`` passes. Every change is a replace with the
resourceVersion that was read, so two replicas never both take a Lease.

NOTE: expiry compares the Lease's renewTime with this machine's clock, so the
replicas' clocks must agree to well under the lease duration (NTP does that).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes_asyncio import client

from k8s.errors import AlreadyExists, Conflict, NotFound, kubernetes_errors

MANAGED_LABELS = {"app.kubernetes.io/managed-by": "cite"}

logger = logging.getLogger(__name__)


def micro_time(moment: datetime) -> str:
    """Format a time as MicroTime: RFC 3339 with exactly six fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaseRecord:
    """The contents of a Lease: holder, renewal time, duration and annotations."""

    name: str
    namespace: str
    holder: str | None
    renewed: datetime | None
    duration_seconds: int
    resource_version: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    transitions: int = 0
    acquired: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """Return whether the Lease has no holder or its holder stopped renewing."""
        if not self.holder or self.renewed is None:
            return True
        return now > self.renewed + timedelta(seconds=self.duration_seconds)

    @classmethod
    def from_model(cls, lease: client.V1Lease) -> LeaseRecord:
        """Read a Lease returned by kubernetes-asyncio."""
        spec = lease.spec or client.V1LeaseSpec()
        return cls(
            name=lease.metadata.name,
            namespace=lease.metadata.namespace,
            holder=spec.holder_identity or None,
            renewed=spec.renew_time,
            duration_seconds=spec.lease_duration_seconds or 0,
            resource_version=lease.metadata.resource_version,
            labels=dict(lease.metadata.labels or {}),
            annotations=dict(lease.metadata.annotations or {}),
            transitions=spec.lease_transitions or 0,
            acquired=spec.acquire_time,
        )


class Lease:
    """One Lease that this identity tries to take, renew and give back."""

    def __init__(
        self,
        api: client.ApiClient,
        *,
        namespace: str,
        name: str,
        identity: str,
        duration_seconds: int,
        labels: dict[str, str] | None = None,
    ) -> None:
        self._coordination = client.CoordinationV1Api(api)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.duration_seconds = duration_seconds
        self._labels = {**MANAGED_LABELS, **(labels or {})}

    async def read(self) -> LeaseRecord | None:
        """Return the Lease as stored, or None when it does not exist."""
        try:
            with kubernetes_errors():
                lease = await self._coordination.read_namespaced_lease(
                    self.name, self.namespace
                )
        except NotFound:
            return None
        return LeaseRecord.from_model(lease)

    async def try_acquire(
        self, annotations: dict[str, str] | None = None
    ) -> LeaseRecord | None:
        """Take or renew the Lease unless another live holder has it.

        Returns the Lease as written, or None when it is held elsewhere or
        another replica changed it first. ``annotations`` are merged into the
        Lease's annotations in the same write.
        """
        now = datetime.now(UTC)
        current = await self.read()
        if current is None:
            return await self._create(now, annotations or {})
        if current.holder != self.identity and not current.expired(now):
            return None
        merged = {**current.annotations, **(annotations or {})}
        return await self._replace(
            current, now, holder=self.identity, annotations=merged
        )

    async def release(self, *, clear_annotations: tuple[str, ...] = ()) -> None:
        """Give the Lease up if this identity holds it.

        The named annotations are removed in the same write.
        """
        current = await self.read()
        if current is None or current.holder != self.identity:
            return
        annotations = {
            key: value
            for key, value in current.annotations.items()
            if key not in clear_annotations
        }
        written = await self._replace(
            current, datetime.now(UTC), holder=None, annotations=annotations
        )
        if written is None:
            logger.warning(
                "Lease %s/%s changed while being released.", self.namespace, self.name
            )

    async def annotate(
        self,
        update: Callable[[dict[str, str]], dict[str, str] | None],
        attempts: int = 5,
    ) -> bool:
        """Change only the Lease's annotations, leaving its holder as it is.

        ``update`` gets the current annotations and returns the new ones, or
        None to change nothing. A Lease that does not exist is created free.
        Returns whether a change was written.
        """
        for _attempt in range(attempts):
            current = await self.read()
            wanted = update(dict(current.annotations) if current else {})
            if wanted is None:
                return False
            if current is None:
                if await self._create_free(wanted):
                    return True
                continue
            spec: dict[str, Any] = {
                "leaseDurationSeconds": current.duration_seconds
                or self.duration_seconds,
                "leaseTransitions": current.transitions,
            }
            if current.holder:
                spec["holderIdentity"] = current.holder
            if current.renewed is not None:
                spec["renewTime"] = micro_time(current.renewed)
            if current.acquired is not None:
                spec["acquireTime"] = micro_time(current.acquired)
            if await self._write(current, spec, wanted) is not None:
                return True
        return False

    async def _create_free(self, annotations: dict[str, str]) -> bool:
        body = self._body(annotations, {"leaseDurationSeconds": self.duration_seconds})
        try:
            with kubernetes_errors():
                await self._coordination.create_namespaced_lease(self.namespace, body)
        except AlreadyExists:
            return False
        return True

    async def _create(
        self, now: datetime, annotations: dict[str, str]
    ) -> LeaseRecord | None:
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.duration_seconds,
            "acquireTime": micro_time(now),
            "renewTime": micro_time(now),
            "leaseTransitions": 0,
        }
        body = self._body(annotations, spec)
        try:
            with kubernetes_errors():
                lease = await self._coordination.create_namespaced_lease(
                    self.namespace, body
                )
        except AlreadyExists:
            return None
        return LeaseRecord.from_model(lease)

    async def _replace(
        self,
        current: LeaseRecord,
        now: datetime,
        *,
        holder: str | None,
        annotations: dict[str, str],
    ) -> LeaseRecord | None:
        taking_over = holder is not None and current.holder != holder
        spec: dict[str, Any] = {
            "leaseDurationSeconds": self.duration_seconds,
            "leaseTransitions": current.transitions + (1 if taking_over else 0),
        }
        if holder is not None:
            spec["holderIdentity"] = holder
            spec["renewTime"] = micro_time(now)
            acquired = (
                now if taking_over or current.acquired is None else current.acquired
            )
            spec["acquireTime"] = micro_time(acquired)
        return await self._write(current, spec, annotations)

    async def _write(
        self, current: LeaseRecord, spec: dict[str, Any], annotations: dict[str, str]
    ) -> LeaseRecord | None:
        """Replace the Lease as read; None when it changed or went meanwhile."""
        body = self._body(annotations, spec, labels=current.labels)
        body["metadata"]["resourceVersion"] = current.resource_version
        try:
            with kubernetes_errors():
                lease = await self._coordination.replace_namespaced_lease(
                    self.name, self.namespace, body
                )
        except (Conflict, NotFound):
            return None
        return LeaseRecord.from_model(lease)

    def _body(
        self,
        annotations: dict[str, str],
        spec: dict[str, Any],
        labels: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {**(labels or {}), **self._labels},
                "annotations": annotations,
            },
            "spec": spec,
        }


async def list_leases(api: client.ApiClient, label_selector: str) -> list[LeaseRecord]:
    """Return the Leases in every namespace that match a label selector."""
    coordination = client.CoordinationV1Api(api)
    with kubernetes_errors():
        leases = await coordination.list_lease_for_all_namespaces(
            label_selector=label_selector
        )
    return [LeaseRecord.from_model(item) for item in leases.items]
