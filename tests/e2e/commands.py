"""Steps the command tests share: a pull request, a comment, and the reply."""

from __future__ import annotations

from typing import Any

from bot.commands.replies import marker
from demo.stack import Stack
from k8s.manifests import RELEASE_LABEL, SHA_LABEL
from k8s.names import service_name
from tests.e2e.helpers import NAMESPACE, OWNER, REPO, settle

# The repository's own CI builds and pushes images, so no build Job runs and
# tests report the build status themselves.
CONFIG = (
    'image: "registry.example/{owner}/{repo}:{sha}"\n'
    "replicas: 2\n"
    "deploy:\n  main: production\n  develop: staging\n"
    "pull_requests:\n  environments: [staging]\n"
)
ROLES = {
    "ada": "admin",
    "max": "maintain",
    "wes": "write",
    "tia": "triage",
    "rea": "read",
}


async def open_pull_request(
    stack: Stack,
    branch: str = "feature/x",
    *,
    built: bool = True,
    permissions: dict[str, str] | None = None,
    **options: Any,
) -> tuple[int, str]:
    """Create the repository, push a branch and open a pull request from it.

    Returns the pull request's number and head sha; ``built`` reports the
    head's build as successful first.
    """
    github = stack.github
    if not github.auth.installations:
        github.add_installation(OWNER, permissions=permissions)
        github.add_repository(OWNER, REPO, files={".github/cite.yml": CONFIG})
        for login, role in ROLES.items():
            github.add_collaborator(OWNER, REPO, login, role)
    sha = await github.push(
        OWNER, REPO, branch, {"app.py": branch}, f"Work on {branch}"
    )
    number = github.open_pull_request(OWNER, REPO, branch, **options)
    if built:
        await github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)
    return number, sha


def reply(stack: Stack, number: int, comment_id: int) -> str | None:
    """Return the body of Cite's reply to a comment, if there is one."""
    for comment in stack.github.comments(OWNER, REPO, number):
        if marker(comment_id) in comment["body"]:
            return comment["body"]
    return None


async def command(
    stack: Stack, number: int, body: str, user: str = "wes", *, until: str = ""
) -> str:
    """Comment on the pull request and wait until the reply contains ``until``.

    Without ``until`` it waits for the reply to stop saying it is working.
    """
    comment_id = await stack.github.comment(OWNER, REPO, number, body, user=user)

    def answered(_github) -> str | None:
        text = reply(stack, number, comment_id)
        if text is None or "Working on it" in text:
            return None
        if until and until not in text:
            return None
        return text

    text = await stack.github.wait_for(answered)
    await settle(stack)
    return reply(stack, number, comment_id) or text


def preview_service(number: int) -> str:
    return service_name(REPO, f"pr:{number}")


def live_sha(stack: Stack, service: str) -> str | None:
    """Return the commit of the release a Service selects."""
    found = stack.cluster.store.get("services", NAMESPACE, service)
    if found is None:
        return None
    release = found["spec"]["selector"].get(RELEASE_LABEL)
    deployment = stack.cluster.store.get("deployments", NAMESPACE, release)
    return deployment["metadata"]["labels"][SHA_LABEL] if deployment else None
