"""Watch streams: one JSON event per line, filtered like the real watch cache."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from aiohttp import web

from simulators.cluster.errors import ApiError
from simulators.cluster.params import parse_bool, parse_int
from simulators.cluster.resources import ResourceType
from simulators.cluster.selectors import Matcher, field_matcher, label_matcher
from simulators.cluster.settings import ClusterSettings
from simulators.cluster.store import Change, ExpiredError, Store

# Maximum time between two checks whether the client has gone away.
_LIVENESS_INTERVAL = 1.0


class Watches:
    """Serve watch requests and end them all when the server shuts down."""

    def __init__(self, store: Store, settings: ClusterSettings) -> None:
        self.store = store
        self.settings = settings
        self._queues: set[asyncio.Queue[Change | None]] = set()
        self._closing = False

    def is_closing(self) -> bool:
        """Whether the server is shutting down, so streams must end."""
        return self._closing

    def reopen(self) -> None:
        """Accept streams again after a shutdown, when the app starts anew."""
        self._closing = False

    def close_all(self) -> None:
        """End every open watch and followed log stream, as a shutdown does."""
        self._closing = True
        for queue in list(self._queues):
            queue.put_nowait(None)
        self.store.notify()

    async def serve(
        self,
        request: web.Request,
        resource: ResourceType,
        namespace: str | None,
    ) -> web.StreamResponse:
        query = request.query
        matches = _matcher(resource, namespace, query)
        bookmarks = parse_bool(query.get("allowWatchBookmarks"), "allowWatchBookmarks")
        timeout = parse_int(query.get("timeoutSeconds"), "timeoutSeconds")
        if timeout is None or timeout <= 0:
            timeout = self.settings.watch_timeout
        queue: asyncio.Queue[Change | None] = asyncio.Queue()
        try:
            initial = self._initial_events(resource, namespace, query, matches)
        except ExpiredError as error:
            return await _send_expired(request, str(error))
        self.store.subscribe(queue.put_nowait)
        self._queues.add(queue)
        try:
            response = await _start_stream(request)
            for event in initial:
                await _write(response, event)
            await self._stream(
                request, response, resource, queue, matches, bookmarks, timeout
            )
            await response.write_eof()
        except ConnectionResetError:
            # The client went away, as watchers do once they have what they
            # need; the API server just ends the stream.
            pass
        finally:
            self.store.unsubscribe(queue.put_nowait)
            self._queues.discard(queue)
        return response

    def _initial_events(
        self,
        resource: ResourceType,
        namespace: str | None,
        query: Any,
        matches: Matcher,
    ) -> list[dict[str, Any]]:
        """Return the synthetic ADDED events or the history after the start version."""
        version = query.get("resourceVersion")
        send_initial = parse_bool(query.get("sendInitialEvents"), "sendInitialEvents")
        if not version or version == "0" or send_initial:
            events = [
                {"type": "ADDED", "object": obj}
                for obj in self.store.list(resource.plural, namespace)
                if matches(obj)
            ]
            if send_initial:
                events.append(self._bookmark(resource, initial_events_end=True))
            return events
        start = parse_int(version, "resourceVersion") or 0
        events = []
        for change in self.store.changes_since(start):
            event = convert(change, resource, matches)
            if event is not None:
                events.append(event)
        return events

    async def _stream(
        self,
        request: web.Request,
        response: web.StreamResponse,
        resource: ResourceType,
        queue: asyncio.Queue[Change | None],
        matches: Matcher,
        bookmarks: bool,
        duration: float,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        next_bookmark = loop.time() + self.settings.bookmark_interval
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            wait = min(remaining, _LIVENESS_INTERVAL)
            if bookmarks:
                wait = min(wait, max(next_bookmark - loop.time(), 0))
            try:
                change = await asyncio.wait_for(queue.get(), wait)
            except TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    return
                if bookmarks and loop.time() >= next_bookmark:
                    await _write(response, self._bookmark(resource))
                    next_bookmark = loop.time() + self.settings.bookmark_interval
                continue
            if change is None:
                return
            event = convert(change, resource, matches)
            if event is not None:
                await _write(response, event)

    def _bookmark(
        self, resource: ResourceType, initial_events_end: bool = False
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {"resourceVersion": str(self.store.resource_version)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {
            "type": "BOOKMARK",
            "object": {
                "kind": resource.kind,
                "apiVersion": resource.api_version,
                "metadata": metadata,
            },
        }


def _matcher(resource: ResourceType, namespace: str | None, query: Any) -> Matcher:
    labels = label_matcher(query.get("labelSelector"))
    fields = field_matcher(query.get("fieldSelector"), resource.plural)

    def matches(obj: dict[str, Any]) -> bool:
        if namespace is not None and obj["metadata"].get("namespace") != namespace:
            return False
        return labels(obj) and fields(obj)

    return matches


def convert(
    change: Change, resource: ResourceType, matches: Matcher
) -> dict[str, Any] | None:
    """Turn a stored change into the event one watcher receives, or None.

    An object that starts to match arrives as ADDED and one that stops
    matching as DELETED with its previous content and the new version.
    """
    if change.resource != resource.plural:
        return None
    new_matches = matches(change.object)
    if change.type == "ADDED":
        return {"type": "ADDED", "object": change.object} if new_matches else None
    old_matches = change.old_object is not None and matches(change.old_object)
    if change.type == "DELETED":
        return {"type": "DELETED", "object": change.object} if old_matches else None
    if new_matches and old_matches:
        return {"type": "MODIFIED", "object": change.object}
    if new_matches:
        return {"type": "ADDED", "object": change.object}
    if old_matches and change.old_object is not None:
        previous = copy.deepcopy(change.old_object)
        previous["metadata"]["resourceVersion"] = str(change.resource_version)
        return {"type": "DELETED", "object": previous}
    return None


async def _start_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json"}
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


async def _write(response: web.StreamResponse, event: dict[str, Any]) -> None:
    line = json.dumps(event, separators=(",", ":")) + "\n"
    await response.write(line.encode())


async def _send_expired(request: web.Request, message: str) -> web.StreamResponse:
    """Send HTTP 200 with one ERROR event (410 Expired), then close the stream."""
    response = await _start_stream(request)
    status = ApiError(410, message, "Expired").status()
    await _write(response, {"type": "ERROR", "object": status})
    await response.write_eof()
    return response
