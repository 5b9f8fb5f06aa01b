"""Object storage with one global resourceVersion counter and a watch history."""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulators.cluster.selectors import label_matcher

Key = tuple[str, str | None, str]


@dataclass(frozen=True)
class Change:
    """One stored write: ADDED, MODIFIED or DELETED, in resourceVersion order."""

    resource_version: int
    type: str
    resource: str
    object: dict[str, Any]
    old_object: dict[str, Any] | None


class ExpiredError(Exception):
    """The requested resourceVersion is older than the kept watch history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


class Store:
    """All objects of the cluster, keyed by (plural, namespace, name).

    Every write takes the next value of one global counter as its
    resourceVersion, is appended to a bounded history for watches that
    resume from an older version, and is pushed to every subscriber.
    Objects handed out are deep copies, so callers may change them freely.
    """

    def __init__(self, history_size: int = 10_000) -> None:
        self._objects: dict[Key, dict[str, Any]] = {}
        self._resource_version = 0
        self._history: deque[Change] = deque()
        self._history_size = history_size
        # Watches may resume from this version or any later one.
        self._oldest_resumable = 0
        self._subscribers: list[Callable[[Change], None]] = []
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def resource_version(self) -> int:
        return self._resource_version

    def get(
        self, resource: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        """Return a copy of one object, or None when it does not exist."""
        obj = self._objects.get((resource, namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return copies of the matching objects, sorted by namespace and name."""
        matches = label_matcher(label_selector)
        keys = sorted(
            (key for key in self._objects if key[0] == resource),
            key=lambda key: (key[1] or "", key[2]),
        )
        return [
            copy.deepcopy(self._objects[key])
            for key in keys
            if (namespace is None or key[1] == namespace)
            and matches(self._objects[key])
        ]

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an object with the next resourceVersion.

        Returns a copy of the stored object.
        """
        metadata = obj["metadata"]
        key = (resource, metadata.get("namespace"), metadata["name"])
        old = self._objects.get(key)
        stored = copy.deepcopy(obj)
        self._resource_version += 1
        stored["metadata"]["resourceVersion"] = str(self._resource_version)
        self._objects[key] = stored
        change_type = "ADDED" if old is None else "MODIFIED"
        self._record(Change(self._resource_version, change_type, resource, stored, old))
        return copy.deepcopy(stored)

    def remove(
        self, resource: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        """Delete an object now; the DELETED event carries a new resourceVersion."""
        old = self._objects.pop((resource, namespace, name), None)
        if old is None:
            return None
        final = copy.deepcopy(old)
        self._resource_version += 1
        final["metadata"]["resourceVersion"] = str(self._resource_version)
        self._record(Change(self._resource_version, "DELETED", resource, final, old))
        return copy.deepcopy(final)

    def _record(self, change: Change) -> None:
        self._history.append(change)
        while len(self._history) > self._history_size:
            dropped = self._history.popleft()
            self._oldest_resumable = dropped.resource_version
        for subscriber in list(self._subscribers):
            subscriber(change)
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def notify(self) -> None:
        """Wake every `wait_for` without a write, e.g. after the clock moved."""
        self._wake_waiters()

    def compact(self) -> None:
        """Forget the watch history: older resourceVersions now answer 410."""
        self._history.clear()
        self._oldest_resumable = self._resource_version

    def changes_since(self, resource_version: int) -> list[Change]:
        """Return the changes after a version, or raise ExpiredError."""
        if resource_version < self._oldest_resumable:
            raise ExpiredError(resource_version, self._oldest_resumable + 1)
        return [c for c in self._history if c.resource_version > resource_version]

    def subscribe(self, subscriber: Callable[[Change], None]) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Callable[[Change], None]) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    async def wait_for(
        self,
        predicate: Callable[[Store], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 (the public API takes a timeout)
    ) -> Any:
        """Wait until predicate(store) is truthy, re-checked after every write.

        Returns the predicate's value and raises TimeoutError after `timeout`
        seconds.
        """
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while True:
                result = predicate(self)
                if result:
                    return result
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
                await waiter


class DryRunStore:
    """A view of a Store whose writes change nothing, for dryRun=All requests.

    Reads see the real objects. A write returns what it would have stored,
    keeping the resourceVersion the object already had.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def resource_version(self) -> int:
        return self._store.resource_version

    def get(
        self, resource: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        return self._store.get(resource, namespace, name)

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        return self._store.list(resource, namespace, label_selector)

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(obj)

    def remove(
        self, resource: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        return self._store.get(resource, namespace, name)
