"""HTTP routing of the Kubernetes API paths, with Status bodies for every error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulators.cluster import discovery
from simulators.cluster.errors import ApiError, bad_request
from simulators.cluster.listing import Lister
from simulators.cluster.logs import serve_log
from simulators.cluster.params import parse_bool, read_body
from simulators.cluster.resources import BY_PLURAL, ResourceType, lookup
from simulators.cluster.responses import json_response
from simulators.cluster.rest import Rest
from simulators.cluster.scale import Scales
from simulators.cluster.settings import ClusterSettings
from simulators.cluster.watch import Watches

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    """A parsed resource path: /api/v1/namespaces/NS/PLURAL/NAME/SUB."""

    resource: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def _not_found() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", details={})


def _method_not_allowed() -> ApiError:
    return ApiError(
        405, "the server does not allow this method on the requested resource"
    )


def parse_route(path: str) -> Route | None:
    """Map a URL path to a resource, or None for paths that are not resources."""
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] in BY_PLURAL:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    resource = lookup(group, version, rest[0])
    if resource is None or (namespace is not None and not resource.namespaced):
        return None
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and subresource not in resource.subresources:
        return None
    return Route(resource, namespace, name, subresource)


class ClusterApi:
    """The aiohttp handlers of every API path the simulator serves."""

    def __init__(
        self,
        rest: Rest,
        watches: Watches,
        settings: ClusterSettings,
        requests: list[tuple[str, str, int]],
    ) -> None:
        self.rest = rest
        self.lister = Lister(rest.store)
        self.scales = Scales(rest)
        self.watches = watches
        self.settings = settings
        self.requests = requests

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Record every request and turn ApiError into a Status response."""
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except ApiError as error:
            status = error.code
            return json_response(error.status(), error.code)
        except web.HTTPException as error:
            status = error.status
            raise
        except Exception as error:
            logger.exception(
                "Request %s %s failed inside the simulator",
                request.method,
                request.path_qs,
            )
            internal = ApiError(
                500, f"Internal error occurred: {error}", "InternalError"
            )
            status = 500
            return json_response(internal.status(), 500)
        finally:
            self.requests.append((request.method, request.path_qs, status))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/version", self.version)
        for path in ("/healthz", "/readyz", "/livez"):
            app.router.add_get(path, self.health)
        app.router.add_get("/api", self.api_versions)
        app.router.add_get("/apis", self.api_groups)
        app.router.add_route("*", "/{path:.*}", self.dispatch)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(discovery.version_info(self.settings.kubernetes_version))

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    async def api_versions(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_versions(request.host))

    async def api_groups(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_group_list())

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        route = parse_route(request.path)
        if route is None:
            return self._discovery(request)
        if route.subresource == "scale":
            return await self.scales.handle(request, route)
        if route.name is None:
            return await self._collection(request, route)
        return await self._item(request, route)

    def _discovery(self, request: web.Request) -> web.Response:
        if request.method != "GET":
            raise _not_found()
        parts = [part for part in request.path.split("/") if part]
        document = None
        if parts == ["api", "v1"]:
            document = discovery.api_resource_list("v1")
        elif len(parts) == 3 and parts[0] == "apis":
            document = discovery.api_resource_list(f"{parts[1]}/{parts[2]}")
        elif len(parts) == 2 and parts[0] == "apis":
            document = discovery.api_group(parts[1])
        if document is None:
            raise _not_found()
        return json_response(document)

    async def _collection(
        self, request: web.Request, route: Route
    ) -> web.StreamResponse:
        resource, namespace, query = route.resource, route.namespace, request.query
        if request.method == "GET":
            if parse_bool(query.get("watch"), "watch"):
                return await self.watches.serve(request, resource, namespace)
            return json_response(await self.lister.list(resource, namespace, query))
        if request.method == "POST":
            if resource.namespaced and namespace is None:
                raise _method_not_allowed()
            body = await read_body(request)
            created, warnings = self.rest.create(resource, namespace, body, query)
            return json_response(created, 201, warnings)
        if request.method == "DELETE":
            options = await _delete_options(request)
            return json_response(
                self.rest.delete_collection(resource, namespace, options, query)
            )
        raise _method_not_allowed()

    async def _item(self, request: web.Request, route: Route) -> web.StreamResponse:
        resource, namespace, name = route.resource, route.namespace, route.name
        assert name is not None
        if resource.namespaced and namespace is None:
            raise _not_found()
        query = request.query
        if request.method == "GET" and route.subresource == "log":
            assert namespace is not None
            return await serve_log(
                request, self.rest.store, namespace, name, self.watches.is_closing
            )
        if request.method == "GET":
            return json_response(self.rest.get(resource, namespace, name))
        if request.method == "PUT":
            if route.subresource == "finalize":
                return json_response(
                    self._finalize(request, name, await read_body(request))
                )
            body = await read_body(request)
            obj, code, warnings = self.rest.replace(
                resource, namespace, name, route.subresource, body, query
            )
            return json_response(obj, code, warnings)
        if request.method == "PATCH":
            raw = await request.read()
            obj, code, warnings = self.rest.patch(
                resource,
                namespace,
                name,
                route.subresource,
                request.content_type,
                raw,
                query,
            )
            return json_response(obj, code, warnings)
        if request.method == "DELETE" and route.subresource is None:
            options = await _delete_options(request)
            body, code = self.rest.delete(resource, namespace, name, options, query)
            warnings = self.rest.delete_warnings(resource, options, query)
            return json_response(body, code, warnings)
        raise _method_not_allowed()

    def _finalize(self, request: web.Request, name: str, body: Any) -> dict[str, Any]:
        """Set spec.finalizers of a Namespace (the finalize subresource)."""
        old = self.rest.get(BY_PLURAL["namespaces"], None, name)
        if not isinstance(body, dict):
            raise bad_request("the body of a finalize request must be a Namespace")
        updated = dict(old)
        updated["spec"] = dict(old.get("spec") or {})
        updated["spec"]["finalizers"] = (body.get("spec") or {}).get("finalizers") or []
        return self.rest.registry.update(BY_PLURAL["namespaces"], updated, old)


async def _delete_options(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await read_body(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("the body of a delete request must be DeleteOptions")
    return body
