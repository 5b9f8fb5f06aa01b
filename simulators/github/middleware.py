"""Handle what every REST request shares: errors, rate limits, records, webhooks."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulators.github.errors import DOCS_URL, GitHubError, not_found
from simulators.github.openapi import description, parse_json_body
from simulators.github.state import NotFoundError, Repository
from simulators.github.webhooks import pending_deliveries

if TYPE_CHECKING:
    from simulators.github.auth import InstallationToken
    from simulators.github.simulator import GitHubSimulator

SIMULATOR = web.AppKey("simulator", "GitHubSimulator")
RATE_WINDOW = 3600  # seconds
ANONYMOUS_RATE_LIMIT = 60  # requests an hour without credentials

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_request_numbers = itertools.count(1)


def simulator_of(request: web.Request) -> GitHubSimulator:
    return request.app[SIMULATOR]


def respond(body: Any, status: int = 200, **headers: str) -> web.Response:
    """Return a JSON response; non-ASCII text is sent as UTF-8, not escaped."""
    text = json.dumps(body, ensure_ascii=False)
    return web.Response(
        text=text,
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


async def json_body(request: web.Request) -> dict[str, Any]:
    """Return the request's JSON object, checked against the description.

    Raises GitHubError 400 for a body that is not a JSON object and 422 for
    one that breaks the operation's schema.
    """
    body = parse_json_body(await request.read())
    operation = description().operation(request.method, request.path)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise GitHubError(400, "Body should be a JSON object")
    if operation is not None:
        description().check_body(operation, body)
    return body


def check_query(request: web.Request) -> None:
    operation = description().operation(request.method, request.path)
    if operation is not None:
        description().check_query(operation, request.query)


def authorized_repository(
    request: web.Request, permission: str, level: str
) -> tuple[InstallationToken, Repository]:
    """Authenticate the installation token and return the path's repository.

    Raises 401 for missing or bad credentials, 404 for a repository that does
    not exist or lies outside the token, 403 without the permission.
    """
    simulator = simulator_of(request)
    token = simulator.auth.token(request.headers.get("Authorization"))
    try:
        repository = simulator.repository(
            request.match_info["owner"], request.match_info["repo"]
        )
    except NotFoundError:
        raise not_found() from None
    simulator.auth.authorize(token, repository, permission, level)
    return token, repository


@dataclass
class RequestRecord:
    """One REST request the simulator served, and its response."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    response: Any
    installation_id: int | None = None


class RateLimiter:
    """Counts requests per credential in hourly windows, as GitHub's core limit."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int]] = {}

    def count(self, key: str, limit: int) -> tuple[dict[str, str], bool]:
        """Count one request; return its x-ratelimit-* headers and whether it
        is over the limit."""
        now = time.time()
        reset, used = self.windows.get(key, (now + RATE_WINDOW, 0))
        if reset <= now:
            reset, used = now + RATE_WINDOW, 0
        used += 1
        self.windows[key] = (reset, used)
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(limit - used, 0)),
            "x-ratelimit-reset": str(int(reset)),
            "x-ratelimit-used": str(min(used, limit)),
            "x-ratelimit-resource": "core",
        }
        return headers, used > limit


def _rate_key(simulator: GitHubSimulator, request: web.Request) -> tuple[str, int]:
    authorization = request.headers.get("Authorization", "")
    credentials = authorization.partition(" ")[2].strip()
    token = simulator.auth.tokens.get(credentials)
    if token is not None:
        return f"installation:{token.installation.id}", simulator.rate_limit
    if credentials:
        return "app", simulator.rate_limit
    return f"ip:{request.remote}", ANONYMOUS_RATE_LIMIT


def _installation_id(simulator: GitHubSimulator, request: web.Request) -> int | None:
    credentials = request.headers.get("Authorization", "").partition(" ")[2].strip()
    token = simulator.auth.tokens.get(credentials)
    return token.installation.id if token is not None else None


def _request_id() -> str:
    number = next(_request_numbers)
    return (
        f"C0DE:{number:04X}:{number * 7919 % 65536:04X}:{number:06X}:{time.time():.0f}"
    )


def make_middleware(limiter: RateLimiter) -> Any:
    @web.middleware
    async def github_middleware(
        request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        simulator = simulator_of(request)
        raw = await request.read()
        key, limit = _rate_key(simulator, request)
        headers, exceeded = limiter.count(key, limit)
        waiting: list[tuple[str, dict[str, Any]]] = []
        context = pending_deliveries.set(waiting)
        try:
            if exceeded:
                response = respond(_rate_limited(key).body, 403)
            else:
                response = await _answer(request, handler)
        finally:
            pending_deliveries.reset(context)
        response.headers.update(headers)
        response.headers["x-github-request-id"] = _request_id()
        response.headers["x-github-api-version-selected"] = "2022-11-28"
        # GitHub sends webhooks for a change after it has sent the response.
        await response.prepare(request)
        await response.write_eof()
        for event, payload in waiting:
            simulator.webhooks.start(event, payload)
        _record(simulator, request, raw, response)
        return response

    return github_middleware


async def _answer(request: web.Request, handler: Handler) -> web.Response:
    try:
        response = await handler(request)
    except GitHubError as error:
        return respond(error.body, error.status, **error.headers)
    except web.HTTPException as error:
        if error.status in (404, 405):
            return respond(not_found().body, 404)
        return respond({"message": error.reason, "documentation_url": DOCS_URL})
    assert isinstance(response, web.Response)
    return response


def _rate_limited(key: str) -> GitHubError:
    kind, _, ident = key.partition(":")
    subject = f"installation ID {ident}" if kind == "installation" else ident
    return GitHubError(403, f"API rate limit exceeded for {subject}.")


def _record(
    simulator: GitHubSimulator,
    request: web.Request,
    raw: bytes,
    response: web.Response,
) -> None:
    try:
        sent = json.loads(raw) if raw.strip() else None
    except ValueError:
        sent = raw.decode("utf-8", "replace")
    answered = json.loads(response.text) if response.text else None
    simulator.requests.append(
        RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=sent,
            status=response.status,
            response=answered,
            installation_id=_installation_id(simulator, request),
        )
    )
    simulator.notify()
