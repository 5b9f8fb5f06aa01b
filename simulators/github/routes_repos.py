"""Serve the repository endpoints: statuses, contents and deployments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulators.github.deployments import (
    AutoMerge,
    create_deployment,
    create_deployment_status,
)
from simulators.github.errors import GitHubError, not_found
from simulators.github.middleware import (
    authorized_repository,
    check_query,
    json_body,
    respond,
    simulator_of,
)
from simulators.github.state import (
    Deployment,
    NotFoundError,
    Repository,
    tree_sha,
)
from simulators.github.statuses import (
    combined_state,
    create_status,
    latest_by_context,
    statuses_of,
)

routes = web.RouteTableDef()


def _paged(
    request: web.Request, items: list[Any], render: Callable[[Any], Any]
) -> web.Response:
    """Return a response with the page of items that per_page and page select.

    Like GitHub, the Link header names the next, last, first and previous
    pages, which clients follow to read a whole list.
    """
    per_page = min(int(request.query.get("per_page", 30)), 100)
    page = max(int(request.query.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    rendered = [render(item) for item in items[(page - 1) * per_page : page * per_page]]
    links = []
    for rel, number in (
        ("next", page + 1),
        ("last", last),
        ("first", 1),
        ("prev", page - 1),
    ):
        if (rel in ("next", "last") and page < last) or (
            rel in ("first", "prev") and page > 1
        ):
            url = request.url.update_query(page=str(number), per_page=str(per_page))
            links.append(f'<{url}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else {}
    return respond(rendered, **headers)


@routes.post("/repos/{owner}/{repo}/statuses/{sha:.+}")
async def post_status(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "statuses", "write")
    body = await json_body(request)
    status = create_status(
        simulator.store,
        repository,
        request.match_info["sha"],
        state=body["state"],
        context=body.get("context", "default"),
        description=body.get("description"),
        target_url=body.get("target_url"),
        creator=simulator.app.bot,
    )
    simulator.announce_status(repository, status)
    rendered = simulator.representer.status(repository, status)
    return respond(rendered, 201, Location=rendered["url"])


@routes.get("/repos/{owner}/{repo}/commits/{ref:.+}/statuses")
@routes.get("/repos/{owner}/{repo}/statuses/{ref:.+}")
async def list_statuses(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "statuses", "read")
    check_query(request)
    sha = _resolve_or_404(repository, request.match_info["ref"])
    newest_first = list(reversed(statuses_of(repository, sha)))
    return _paged(
        request,
        newest_first,
        lambda status: simulator.representer.status(repository, status),
    )


@routes.get("/repos/{owner}/{repo}/commits/{ref:.+}/status")
async def combined_status(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "statuses", "read")
    check_query(request)
    sha = _resolve_or_404(repository, request.match_info["ref"])
    latest = list(latest_by_context(repository, sha).values())
    representer = simulator.representer
    statuses = []
    for status in latest:
        rendered = representer.status(repository, status)
        del rendered["creator"]
        rendered["required"] = False
        statuses.append(rendered)
    url = representer.repo_url(repository)
    return respond(
        {
            "state": combined_state(latest),
            "statuses": statuses,
            "sha": sha,
            "total_count": len(statuses),
            "repository": representer.repository(repository),
            "commit_url": f"{url}/commits/{sha}",
            "url": f"{url}/commits/{sha}/status",
        }
    )


@routes.get("/repos/{owner}/{repo}/contents/{path:.*}")
async def get_content(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "contents", "read")
    check_query(request)
    ref = request.query.get("ref") or repository.default_branch
    try:
        sha = repository.resolve(ref)
    except NotFoundError:
        raise GitHubError(404, f"No commit found for the ref {ref}") from None
    files = repository.commits[sha].files
    path = request.match_info["path"].strip("/")
    representer = simulator.representer
    if path in files:
        return respond(representer.file_content(repository, path, ref, files[path]))
    entries = _directory(files, path)
    if not entries:
        raise not_found()
    listing = []
    for entry in entries:
        below = {p: d for p, d in files.items() if p.startswith(f"{entry}/")}
        listing.append(
            representer.content(
                repository, entry, ref, files.get(entry), tree_sha(below)
            )
        )
    return respond(listing)


def _directory(files: dict[str, bytes], path: str) -> list[str]:
    """Return the paths of a directory's direct entries, sorted."""
    prefix = f"{path}/" if path else ""
    entries = set()
    for file_path in files:
        if file_path.startswith(prefix):
            name = file_path[len(prefix) :].split("/", 1)[0]
            entries.add(prefix + name)
    return sorted(entries)


@routes.get("/repos/{owner}/{repo}/deployments")
async def list_deployments(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "deployments", "read")
    check_query(request)
    selected = [
        deployment
        for deployment in reversed(repository.deployments)
        if all(
            getattr(deployment, name) == request.query[name]
            for name in ("sha", "ref", "task", "environment")
            if name in request.query
        )
    ]
    return _paged(
        request,
        selected,
        lambda deployment: simulator.representer.deployment(repository, deployment),
    )


@routes.post("/repos/{owner}/{repo}/deployments")
async def post_deployment(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "deployments", "write")
    body = await json_body(request)
    outcome = create_deployment(
        simulator.store, repository, body, creator=simulator.app.bot, via_app=True
    )
    if isinstance(outcome, AutoMerge):
        simulator.announce_auto_merge(repository, outcome)
        return respond({"message": outcome.message}, 202)
    simulator.webhooks.announce(
        "deployment", simulator.payloads.deployment(repository, outcome)
    )
    return respond(simulator.representer.deployment(repository, outcome), 201)


@routes.get(r"/repos/{owner}/{repo}/deployments/{deployment_id:\d+}")
async def get_deployment(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "deployments", "read")
    deployment = _deployment(request, repository)
    return respond(simulator.representer.deployment(repository, deployment))


@routes.get(r"/repos/{owner}/{repo}/deployments/{deployment_id:\d+}/statuses")
async def list_deployment_statuses(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "deployments", "read")
    check_query(request)
    deployment = _deployment(request, repository)
    newest_first = list(reversed(deployment.statuses))
    return _paged(
        request,
        newest_first,
        lambda status: simulator.representer.deployment_status(repository, status),
    )


@routes.post(r"/repos/{owner}/{repo}/deployments/{deployment_id:\d+}/statuses")
async def post_deployment_status(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "deployments", "write")
    deployment = _deployment(request, repository)
    body = await json_body(request)
    status = create_deployment_status(
        simulator.store,
        repository,
        deployment,
        body,
        creator=simulator.app.bot,
        via_app=True,
    )
    # GitHub sends no deployment_status event for the state inactive.
    if status.state != "inactive":
        payload = simulator.payloads.deployment_status(repository, deployment, status)
        simulator.webhooks.announce("deployment_status", payload)
    rendered = simulator.representer.deployment_status(repository, status)
    return respond(rendered, 201, Location=rendered["url"])


def _deployment(request: web.Request, repository: Repository) -> Deployment:
    deployment_id = int(request.match_info["deployment_id"])
    for deployment in repository.deployments:
        if deployment.id == deployment_id:
            return deployment
    raise not_found()


def _resolve_or_404(repository: Repository, ref: str) -> str:
    try:
        return repository.resolve(ref)
    except NotFoundError:
        raise GitHubError(404, f"No commit found for SHA: {ref}") from None
