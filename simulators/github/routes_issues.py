"""Serve the endpoints slash commands need: permissions, comments, reactions, pulls."""

from __future__ import annotations

from aiohttp import web

from simulators.github.errors import not_found
from simulators.github.middleware import authorized_repository, respond, simulator_of

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
