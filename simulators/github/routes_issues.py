"""Serve the endpoints slash commands need: permissions, comments, reactions, pulls."""

from __future__ import annotations

from aiohttp import web

from simulators.github.errors import invalid_request, not_found
from simulators.github.issues import add_comment, react
from simulators.github.middleware import (
    authorized_repository,
    check_query,
    json_body,
    respond,
    simulator_of,
)
from simulators.github.state import Issue, IssueComment, Repository

routes = web.RouteTableDef()

# GitHub reports maintain as write and triage as read; a custom role is
# assumed here to report the permission of write.
_PERMISSION_OF_ROLE = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
_ROLE_FLAGS = ["pull", "triage", "push", "maintain", "admin"]
_ROLE_RANK = {"read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}


@routes.get("/repos/{owner}/{repo}/collaborators/{username}/permission")
async def get_permission(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "metadata", "read")
    login = request.match_info["username"]
    role = repository.collaborators.get(login.lower())
    if role is None and login.lower() == repository.owner.lower():
        role = "admin"
    if role is None:
        raise not_found()
    user = simulator.representer.user(simulator.account(login))
    rank = _ROLE_RANK.get(role, _ROLE_RANK["write"])
    user["permissions"] = {
        flag: rank >= index + 1 for index, flag in enumerate(_ROLE_FLAGS)
    }
    user["role_name"] = role
    return respond(
        {
            "permission": _PERMISSION_OF_ROLE.get(role, "write"),
            "role_name": role,
            "user": user,
        }
    )


def _issue(request: web.Request, repository: Repository) -> Issue:
    issue = repository.issues.get(int(request.match_info["number"]))
    if issue is None:
        raise not_found()
    return issue


def _comment(request: web.Request, repository: Repository) -> IssueComment:
    comment_id = int(request.match_info["comment_id"])
    for comment in repository.comments:
        if comment.id == comment_id:
            return comment
    raise not_found()


@routes.get(r"/repos/{owner}/{repo}/issues/{number:\d+}")
async def get_issue(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "issues", "read")
    issue = _issue(request, repository)
    return respond(simulator.issue_json.issue(repository, issue))


@routes.get(r"/repos/{owner}/{repo}/pulls/{number:\d+}")
async def get_pull_request(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "pull_requests", "read")
    issue = _issue(request, repository)
    if not issue.is_pull_request:
        raise not_found()
    return respond(simulator.issue_json.pull_request(repository, issue))


@routes.get(r"/repos/{owner}/{repo}/issues/{number:\d+}/comments")
async def list_comments(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "issues", "read")
    check_query(request)
    issue = _issue(request, repository)
    return respond(simulator.comments(repository.owner, repository.name, issue.number))


@routes.post(r"/repos/{owner}/{repo}/issues/{number:\d+}/comments")
async def post_comment(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    # NOTE: GitHub also lets pull_requests:write comment on pull requests.
    _, repository = authorized_repository(request, "issues", "write")
    issue = _issue(request, repository)
    body = await json_body(request)
    bot = simulator.app.bot
    comment = add_comment(
        simulator.store, repository, issue, body["body"], bot, via_app=True
    )
    payload = simulator.issue_json.comment_payload(repository, comment, "created", bot)
    simulator.webhooks.announce("issue_comment", payload)
    rendered = simulator.issue_json.comment(repository, comment)
    return respond(rendered, 201, Location=rendered["url"])


@routes.get(r"/repos/{owner}/{repo}/issues/comments/{comment_id:\d+}")
async def get_comment(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "issues", "read")
    comment = _comment(request, repository)
    return respond(simulator.issue_json.comment(repository, comment))


@routes.patch(r"/repos/{owner}/{repo}/issues/comments/{comment_id:\d+}")
async def patch_comment(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "issues", "write")
    comment = _comment(request, repository)
    body = await json_body(request)
    if not isinstance(body.get("body"), str):
        raise invalid_request('"body" wasn\'t supplied.')
    previous = comment.body
    comment.body = body["body"]
    comment.updated_at = simulator.store.now()
    payload = simulator.issue_json.comment_payload(
        repository, comment, "edited", simulator.app.bot, previous_body=previous
    )
    simulator.webhooks.announce("issue_comment", payload)
    return respond(simulator.issue_json.comment(repository, comment))


@routes.post(r"/repos/{owner}/{repo}/issues/comments/{comment_id:\d+}/reactions")
async def post_reaction(request: web.Request) -> web.Response:
    simulator = simulator_of(request)
    _, repository = authorized_repository(request, "issues", "write")
    comment = _comment(request, repository)
    body = await json_body(request)
    reaction, created = react(
        simulator.store, comment, body["content"], simulator.app.bot
    )
    return respond(simulator.issue_json.reaction(reaction), 201 if created else 200)
