"""List requests: selectors, limit and continue paging, and resourceVersion waits."""

from __future__ import annotations

import base64
import json
from typing import Any

from simulators.cluster.errors import ApiError, bad_request
from simulators.cluster.params import parse_int, strip_list_item
from simulators.cluster.resources import ResourceType
from simulators.cluster.selectors import field_matcher, label_matcher
from simulators.cluster.store import ExpiredError, Store


def encode_continue(resource_version: int, last_key: str) -> str:
    token = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": resource_version, "start": last_key}
    )
    return base64.urlsafe_b64encode(token.encode()).decode()


def decode_continue(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError) as error:
        raise bad_request(f"continue key is not valid: {error}") from error


def _sort_key(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    return f"{metadata.get('namespace') or ''}/{metadata['name']}"


class Lister:
    """Serve list requests from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def list(
        self, resource: ResourceType, namespace: str | None, query: Any
    ) -> dict[str, Any]:
        """Return a <Kind>List, paged with limit and continue.

        NOTE: later pages show the current objects, not a snapshot at the
        first page's resourceVersion as on the real server.
        """
        await self.wait_for_version(query.get("resourceVersion"))
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), resource.plural)
        items = [
            obj
            for obj in self.store.list(resource.plural, namespace)
            if labels(obj) and fields(obj)
        ]

        list_version = self.store.resource_version
        start = ""
        token = query.get("continue")
        if token:
            list_version, start = decode_continue(token)
            self._check_continue_version(list_version)
        items = [obj for obj in items if _sort_key(obj) > start]

        metadata: dict[str, Any] = {"resourceVersion": str(list_version)}
        limit = parse_int(query.get("limit"), "limit")
        if limit and limit > 0 and len(items) > limit:
            metadata["continue"] = encode_continue(
                list_version, _sort_key(items[limit - 1])
            )
            metadata["remainingItemCount"] = len(items) - limit
            items = items[:limit]

        return {
            "kind": resource.list_kind,
            "apiVersion": resource.api_version,
            "metadata": metadata,
            "items": [strip_list_item(obj) for obj in items],
        }

    def _check_continue_version(self, resource_version: int) -> None:
        try:
            self.store.changes_since(resource_version)
        except ExpiredError as error:
            raise ApiError(
                410,
                "The provided continue parameter is too old to display a "
                "consistent list result. You can start a new list without the "
                "continue parameter.",
                "Expired",
            ) from error

    async def wait_for_version(self, text: str | None) -> None:
        """Wait up to 3 s for a resourceVersion from the future, then return 504."""
        requested = parse_int(text, "resourceVersion")
        if not requested or requested <= self.store.resource_version:
            return
        try:
            await self.store.wait_for(
                lambda store: store.resource_version >= requested, timeout=3.0
            )
        except TimeoutError as error:
            raise ApiError(
                504,
                f"Too large resource version: {requested}, current: "
                f"{self.store.resource_version}",
                "Timeout",
                details={
                    "causes": [
                        {
                            "reason": "ResourceVersionTooLarge",
                            "message": "Too large resource version",
                        }
                    ],
                    "retryAfterSeconds": 1,
                },
            ) from error

    # Writes
