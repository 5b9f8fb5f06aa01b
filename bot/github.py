"""Call the GitHub REST API for statuses, deployments and files, with Cite's errors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import gidgethub
from gidgethub.abc import GitHubAPI

USER_AGENT = "cite-bot"
# GitHub rejects longer commit and deployment status descriptions with 422.
MAX_DESCRIPTION = 140
ELLIPSIS = "…"


class GitHubError(Exception):
    """A GitHub API request failed; ``status`` is the HTTP code, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubNotFound(GitHubError):
    """GitHub returned 404: no such repository, file, ref or deployment."""


class NotText(GitHubError):
    """A file exists but is not UTF-8 text."""


@contextmanager
def github_errors() -> Iterator[None]:
    """Raise GitHubError subclasses in place of gidgethub's and aiohttp's errors."""
    try:
        yield
    except gidgethub.HTTPException as error:
        status = int(error.status_code)
        message = f"GitHub returned {status}: {error}"
        kind = GitHubNotFound if status == 404 else GitHubError
        raise kind(message, status) from error
    except gidgethub.GitHubException as error:
        raise GitHubError(f"GitHub request failed: {error}") from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise GitHubError(f"GitHub could not be reached: {error!r}") from error


def shorten(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """Cut text to GitHub's description limit, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


async def read_file(
    gh: GitHubAPI, owner: str, repo: str, path: str, ref: str
) -> str | None:
    """Return a file's text at a ref, or None when the file does not exist."""
    try:
        with github_errors():
            content = await gh.getitem(
                "/repos/{owner}/{repo}/contents/{+path}{?ref}",
                {"owner": owner, "repo": repo, "path": path, "ref": ref},
            )
    except GitHubNotFound:
        return None
    if not isinstance(content, dict) or content.get("type") != "file":
        return None
    try:
        return base64.b64decode(content.get("content", "")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise NotText(f"{path} at {ref} is not UTF-8 text") from error


async def create_commit_status(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    sha: str,
    *,
    state: str,
    context: str,
    description: str,
    target_url: str | None = None,
) -> None:
    """Set a commit status; the description is shortened to GitHub's limit."""
    data: dict[str, Any] = {
        "state": state,
        "context": context,
        "description": shorten(description),
    }
    if target_url:
        data["target_url"] = target_url
    with github_errors():
        await gh.post(
            "/repos/{owner}/{repo}/statuses/{sha}",
            {"owner": owner, "repo": repo, "sha": sha},
            data=data,
        )


async def find_deployments(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    *,
    sha: str | None = None,
    environment: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return the deployments of a commit and/or an environment, newest first.

    With ``limit`` only that many of the newest are read, so the cost of a
    call does not grow with the repository's whole history.
    """
    variables: dict[str, Any] = {"owner": owner, "repo": repo}
    if sha is not None:
        variables["sha"] = sha
    if environment is not None:
        variables["environment"] = environment
    found: list[dict[str, Any]] = []
    with github_errors():
        async for item in gh.getiter(
            "/repos/{owner}/{repo}/deployments{?sha,environment}", variables
        ):
            found.append(item)
            if limit is not None and len(found) >= limit:
                break
    return found


async def create_deployment(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    *,
    sha: str,
    environment: str,
    payload: dict[str, Any],
    description: str,
    required_contexts: list[str],
    transient: bool = False,
) -> dict[str, Any]:
    """Create a deployment of exactly this commit.

    ``auto_merge`` is off because merging the default branch into the ref would
    deploy a commit that was never built; the required contexts are named explicitly.
    """
    data = {
        "ref": sha,
        "environment": environment,
        "payload": payload,
        "description": shorten(description),
        "auto_merge": False,
        "required_contexts": required_contexts,
        "transient_environment": transient,
        "production_environment": environment == "production",
    }
    with github_errors():
        return await gh.post(
            "/repos/{owner}/{repo}/deployments",
            {"owner": owner, "repo": repo},
            data=data,
        )


async def list_deployment_statuses(
    gh: GitHubAPI, owner: str, repo: str, deployment_id: int
) -> list[dict[str, Any]]:
    """Return a deployment's statuses, newest first."""
    with github_errors():
        return [
            item
            async for item in gh.getiter(
                "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
                {"owner": owner, "repo": repo, "deployment_id": deployment_id},
            )
        ]


async def create_deployment_status(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    deployment_id: int,
    *,
    state: str,
    description: str,
    environment_url: str | None = None,
    log_url: str | None = None,
) -> None:
    """Add a status to a deployment; the description is shortened to fit."""
    data: dict[str, Any] = {"state": state, "description": shorten(description)}
    if environment_url:
        data["environment_url"] = environment_url
    if log_url:
        data["log_url"] = log_url
    with github_errors():
        await gh.post(
            "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
            {"owner": owner, "repo": repo, "deployment_id": deployment_id},
            data=data,
        )


async def get_deployment(
    gh: GitHubAPI, owner: str, repo: str, deployment_id: int
) -> dict[str, Any]:
    """Return one deployment; raises GitHubNotFound when it does not exist."""
    with github_errors():
        return await gh.getitem(
            "/repos/{owner}/{repo}/deployments/{deployment_id}",
            {"owner": owner, "repo": repo, "deployment_id": deployment_id},
        )


async def read_comment(gh: GitHubAPI, owner: str, repo: str, comment_id: int) -> str:
    """Return the body of an issue or pull request comment."""
    with github_errors():
        comment = await gh.getitem(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            {"owner": owner, "repo": repo, "comment_id": comment_id},
        )
    return comment.get("body") or ""


async def edit_comment(
    gh: GitHubAPI, owner: str, repo: str, comment_id: int, body: str
) -> None:
    """Replace the body of a comment the app wrote."""
    with github_errors():
        await gh.patch(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            {"owner": owner, "repo": repo, "comment_id": comment_id},
            data={"body": body},
        )


async def create_comment(
    gh: GitHubAPI, owner: str, repo: str, number: int, body: str
) -> int:
    """Comment on an issue or pull request; return the comment id."""
    with github_errors():
        comment = await gh.post(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            {"owner": owner, "repo": repo, "number": number},
            data={"body": body},
        )
    return int(comment["id"])


async def add_reaction(
    gh: GitHubAPI, owner: str, repo: str, comment_id: int, content: str
) -> None:
    """React to an issue or pull request comment, e.g. with ``+1`` or ``eyes``."""
    with github_errors():
        await gh.post(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
            {"owner": owner, "repo": repo, "comment_id": comment_id},
            data={"content": content},
            accept="application/vnd.github+json",
        )


async def pull_request(
    gh: GitHubAPI, owner: str, repo: str, number: int
) -> dict[str, Any]:
    """Return a pull request as the REST API renders it."""
    with github_errors():
        return await gh.getitem(
            "/repos/{owner}/{repo}/pulls/{number}",
            {"owner": owner, "repo": repo, "number": number},
        )


async def permission(
    gh: GitHubAPI, owner: str, repo: str, login: str
) -> tuple[str, str]:
    """Return a user's ``permission`` and ``role_name`` on a repository.

    A user who is not a collaborator gets ``("none", "none")``.
    """
    try:
        with github_errors():
            answer = await gh.getitem(
                "/repos/{owner}/{repo}/collaborators/{username}/permission",
                {"owner": owner, "repo": repo, "username": login},
            )
    except GitHubNotFound:
        return "none", "none"
    return str(answer.get("permission") or "none"), str(answer.get("role_name") or "")


async def commit_state(gh: GitHubAPI, owner: str, repo: str, sha: str, context: str):
    """Return the newest status of a context on a commit: (state, description)."""
    with github_errors():
        combined = await gh.getitem(
            "/repos/{owner}/{repo}/commits/{ref}/status",
            {"owner": owner, "repo": repo, "ref": sha},
        )
    for status in combined.get("statuses") or []:
        if status.get("context") == context:
            return status.get("state"), status.get("description") or ""
    return None, ""
