"""Assemble the aiohttp application that serves the simulated REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from simulators.github import routes_app, routes_issues, routes_repos
from simulators.github.errors import not_found
from simulators.github.middleware import SIMULATOR, RateLimiter, make_middleware

if TYPE_CHECKING:
    from simulators.github.simulator import GitHubSimulator


async def _unknown_route(request: web.Request) -> web.Response:
    raise not_found()


def build_app(simulator: GitHubSimulator) -> web.Application:
    """Return the application; its cleanup settles webhook deliveries in flight."""
    app = web.Application(middlewares=[make_middleware(RateLimiter())])
    app[SIMULATOR] = simulator
    app.add_routes(routes_app.routes)
    app.add_routes(routes_repos.routes)
    app.add_routes(routes_issues.routes)
    app.router.add_route("*", "/{tail:.*}", _unknown_route)

    async def close_webhooks(_: web.Application) -> None:
        await simulator.close()

    app.on_cleanup.append(close_webhooks)
    return app
