"""The /scale subresource of Deployments and ReplicaSets (autoscaling/v1 Scale)."""

from __future__ import annotations

import copy
import json
from typing import Any

from aiohttp import web

from simulators.cluster import patch as patching
from simulators.cluster.errors import (
    ApiError,
    bad_request,
    conflict,
    invalid,
    invalid_value,
)
from simulators.cluster.params import read_body
from simulators.cluster.responses import json_response
from simulators.cluster.rest import Rest
from simulators.cluster.selectors import selector_to_string

SCALE_API_VERSION = "autoscaling/v1"


def to_scale(obj: dict[str, Any]) -> dict[str, Any]:
    """Return the Scale view of a Deployment or ReplicaSet."""
    metadata = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": SCALE_API_VERSION,
        "metadata": {
            key: metadata[key]
            for key in (
                "name",
                "namespace",
                "uid",
                "resourceVersion",
                "creationTimestamp",
            )
            if key in metadata
        },
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": selector_to_string(obj["spec"].get("selector") or {}),
        },
    }


class Scales:
    """GET, PUT and PATCH of /scale, written through to spec.replicas."""

    def __init__(self, rest: Rest) -> None:
        self.rest = rest

    async def handle(self, request: web.Request, route: Any) -> web.Response:
        """Serve GET, PUT and PATCH of one object's /scale."""
        resource, namespace, name = route.resource, route.namespace, route.name
        if name is None:
            raise ApiError(404, "the server could not find the requested resource")
        obj = self.rest.get(resource, namespace, name)
        if request.method == "GET":
            return json_response(to_scale(obj))

        if request.method == "PUT":
            scale = await read_body(request)
        elif request.method == "PATCH":
            raw = await request.read()
            scale = self._patched(to_scale(obj), request.content_type, raw)
        else:
            raise ApiError(
                405, "the server does not allow this method on the requested resource"
            )

        replicas = self._requested_replicas(scale, obj, resource)
        updated = copy.deepcopy(obj)
        updated["spec"]["replicas"] = replicas
        stored = self.rest.finish_update(resource, updated, obj, None, request.query)
        return json_response(to_scale(stored))

    @staticmethod
    def _requested_replicas(scale: Any, obj: dict[str, Any], resource: Any) -> int:
        """Return spec.replicas of a Scale; 409 when its version is stale."""
        name = obj["metadata"]["name"]
        if not isinstance(scale, dict):
            raise bad_request("the body of the request must be a Scale object")
        version = (scale.get("metadata") or {}).get("resourceVersion")
        if version and version != obj["metadata"]["resourceVersion"]:
            raise conflict(resource.plural, resource.group, name)
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or replicas < 0:
            raise invalid(
                "Scale",
                "autoscaling",
                name,
                [
                    invalid_value(
                        "spec.replicas", replicas, "must be greater than or equal to 0"
                    )
                ],
            )
        return replicas

    def _patched(self, scale: dict[str, Any], content_type: str, raw: bytes) -> Any:
        try:
            document = json.loads(raw)
        except ValueError as error:
            raise bad_request(f"error decoding patch: {error}") from error
        if content_type == patching.JSON_PATCH:
            return patching.apply_json_patch(scale, document)
        if content_type in (patching.MERGE_PATCH, patching.STRATEGIC_MERGE_PATCH):
            return patching.apply_merge_patch(scale, document)
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media "
            "types include: " + ", ".join(patching.PATCH_TYPES[:3]),
        )
