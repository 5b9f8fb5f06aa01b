"""Serve the endpoints a GitHub App calls with its JWT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulators.github.auth import Installation, expires_at_text, limit_repositories
from simulators.github.errors import GitHubError, not_found
from simulators.github.middleware import json_body, respond, simulator_of
from simulators.github.state import NotFoundError, Repository, iso

if TYPE_CHECKING:
    from simulators.github.simulator import GitHubSimulator

routes = web.RouteTableDef()


def _installation(
    simulator: GitHubSimulator, installation: Installation
) -> dict[str, Any]:
    representer = simulator.representer
    base = representer.base_url
    return {
        "id": installation.id,
        "account": representer.user(installation.account),
        "repository_selection": (
            "all" if installation.repository_names is None else "selected"
        ),
        "access_tokens_url": f"{base}/app/installations/{installation.id}"
        "/access_tokens",
        "repositories_url": f"{base}/installation/repositories",
        "html_url": f"{base}/organizations/{installation.account.login}"
        f"/settings/installations/{installation.id}",
        "app_id": simulator.app.id,
        "app_slug": simulator.app.slug,
        "target_id": installation.account.id,
        "target_type": installation.account.type,
        "permissions": dict(installation.permissions),
        "events": list(simulator.app.events),
        "created_at": iso(simulator.app.created_at),
        "updated_at": iso(simulator.app.created_at),
        "single_file_name": None,
    }


@routes.get("/app")
async def get_app(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    simulator.auth.verify_app_jwt(request.headers.get("Authorization"))
    rendered = simulator.representer.app_integration()
    rendered["installations_count"] = len(simulator.auth.installations)
    return respond(rendered)


@routes.get("/app/installations")
async def list_installations(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    simulator.auth.verify_app_jwt(request.headers.get("Authorization"))
    return respond(
        [_installation(simulator, i) for i in simulator.auth.installations.values()]
    )


@routes.get(r"/app/installations/{installation_id:\d+}")
async def get_installation(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    simulator.auth.verify_app_jwt(request.headers.get("Authorization"))
    installation = _find_installation(request)
    return respond(_installation(simulator, installation))


@routes.get("/repos/{owner}/{repo}/installation")
async def get_repository_installation(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    simulator.auth.verify_app_jwt(request.headers.get("Authorization"))
    try:
        repository = simulator.repository(
            request.match_info["owner"], request.match_info["repo"]
        )
    except NotFoundError:
        raise not_found() from None
    installation = simulator.installation_for(repository)
    if installation is None:
        raise not_found()
    return respond(_installation(simulator, installation))


@routes.post(r"/app/installations/{installation_id:\d+}/access_tokens")
async def create_access_token(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    simulator.auth.verify_app_jwt(request.headers.get("Authorization"))
    installation = _find_installation(request)
    body = await json_body(request)
    token = simulator.auth.issue_token(installation, body)
    rendered: dict[str, Any] = {
        "token": token.token,
        "expires_at": expires_at_text(token),
        "permissions": dict(token.permissions),
        "repository_selection": (
            "all" if installation.repository_names is None else "selected"
        ),
    }
    if "repositories" in body or "repository_ids" in body:
        repositories = _requested_repositories(simulator, installation, body)
        limit_repositories(token, repositories)
        rendered["repository_selection"] = "selected"
        rendered["repositories"] = [
            simulator.representer.repository(repository) for repository in repositories
        ]
    return respond(rendered, 201)


def _find_installation(request: web.Request) -> Installation:
    simulator = simulator_of(request)
    installation_id = int(request.match_info["installation_id"])
    installation = simulator.auth.installations.get(installation_id)
    if installation is None:
        raise not_found()
    return installation


def _requested_repositories(
    simulator: GitHubSimulator, installation: Installation, body: dict[str, Any]
) -> list[Repository]:
    by_name = {
        repository.name.lower(): repository
        for repository in simulator.store.repositories.values()
        if repository.owner_account is installation.account
    }
    by_id = {repository.id: repository for repository in by_name.values()}
    chosen = []
    for name in body.get("repositories", []):
        chosen.append(by_name.get(name.lower()))
    for repository_id in body.get("repository_ids", []):
        chosen.append(by_id.get(repository_id))
    if any(repository is None for repository in chosen):
        raise GitHubError(
            422,
            "There is at least one repository that does not exist or is not"
            " accessible to the parent installation.",
        )
    return list({repository.id: repository for repository in chosen}.values())
