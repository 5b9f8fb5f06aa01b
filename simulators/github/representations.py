"""Render stored objects as the JSON GitHub returns in responses and webhooks."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from simulators.github.auth import App
from simulators.github.state import (
    Account,
    Commit,
    CommitStatus,
    Deployment,
    DeploymentStatus,
    Repository,
    git_blob_sha,
    iso,
    node_id,
)

_REPOSITORY_TEMPLATES = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def base64_lines(content: bytes) -> str:
    """Encode content as GitHub does: base64 in lines of 60 characters, each ending
    with a newline."""
    text = base64.b64encode(content).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


class Representer:
    """Builds response and payload JSON, with URLs under base_url."""

    def __init__(self, base_url: str, app: App) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app

    def repo_url(self, repository: Repository) -> str:
        return f"{self.base_url}/repos/{repository.full_name}"

    def html_repo_url(self, repository: Repository) -> str:
        return f"{self.base_url}/{repository.full_name}"

    def user(self, account: Account) -> dict[str, Any]:
        """Render an account as a simple user (also the payloads' `sender`)."""
        login = quote(account.login)
        url = f"{self.base_url}/users/{login}"
        if account.type == "Bot":
            html_url = f"{self.base_url}/apps/{login.removesuffix('%5Bbot%5D')}"
        else:
            html_url = f"{self.base_url}/{login}"
        return {
            "login": account.login,
            "id": account.id,
            "node_id": account.node_id,
            "avatar_url": f"{self.base_url}/avatars/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": html_url,
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": account.type,
            "site_admin": False,
        }

    def organization(self, account: Account) -> dict[str, Any]:
        url = f"{self.base_url}/orgs/{quote(account.login)}"
        return {
            "login": account.login,
            "id": account.id,
            "node_id": account.node_id,
            "url": url,
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events",
            "hooks_url": f"{url}/hooks",
            "issues_url": f"{url}/issues",
            "members_url": f"{url}/members{{/member}}",
            "public_members_url": f"{url}/public_members{{/member}}",
            "avatar_url": f"{self.base_url}/avatars/u/{account.id}?v=4",
            "description": "",
        }

    def repository(self, repository: Repository) -> dict[str, Any]:
        """Render a repository as REST responses and most payloads carry it."""
        url = self.repo_url(repository)
        html_url = self.html_repo_url(repository)
        host = self.base_url.split("://", 1)[-1]
        rendered: dict[str, Any] = {
            "id": repository.id,
            "node_id": repository.node_id,
            "name": repository.name,
            "full_name": repository.full_name,
            "private": repository.private,
            "owner": self.user(repository.owner_account),
            "html_url": html_url,
            "description": None,
            "fork": False,
            "url": url,
        }
        for key, suffix in _REPOSITORY_TEMPLATES.items():
            rendered[key] = url + suffix
        rendered |= {
            "created_at": iso(repository.created_at),
            "updated_at": iso(repository.pushed_at),
            "pushed_at": iso(repository.pushed_at),
            "git_url": f"git://{host}/{repository.full_name}.git",
            "ssh_url": f"git@{host}:{repository.full_name}.git",
            "clone_url": f"{html_url}.git",
            "svn_url": html_url,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": 0,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repository.private else "public",
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "default_branch": repository.default_branch,
            "custom_properties": {},
        }
        return rendered

    def push_repository(self, repository: Repository) -> dict[str, Any]:
        """Render a repository as push payloads carry it.

        Push payloads differ from the rest: Unix times for created_at and
        pushed_at, an owner with name and email, and `stargazers` and
        `master_branch`, as GitHub's recorded push payloads show.
        """
        rendered = self.repository(repository)
        owner = repository.owner_account
        rendered["owner"] = {
            "name": owner.login,
            "email": owner.email,
            **self.user(owner),
        }
        rendered["created_at"] = int(repository.created_at.timestamp())
        rendered["pushed_at"] = int(repository.pushed_at.timestamp())
        rendered["stargazers"] = 0
        rendered["master_branch"] = repository.default_branch
        if owner.type == "Organization":
            rendered["organization"] = owner.login
        return rendered

    def commit(self, repository: Repository, commit: Commit) -> dict[str, Any]:
        """Render a commit as GET /repos/{owner}/{repo}/commits/{ref} returns it."""
        url = self.repo_url(repository)
        html_url = self.html_repo_url(repository)
        signature = {
            "name": commit.author.login,
            "email": commit.author.email,
            "date": iso(commit.timestamp),
        }
        return {
            "sha": commit.sha,
            "node_id": node_id("Commit", repository.id) + commit.sha[:12],
            "commit": {
                "author": signature,
                "committer": signature,
                "message": commit.message,
                "tree": {
                    "sha": commit.tree_sha,
                    "url": f"{url}/git/trees/{commit.tree_sha}",
                },
                "url": f"{url}/git/commits/{commit.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                },
            },
            "url": f"{url}/commits/{commit.sha}",
            "html_url": f"{html_url}/commit/{commit.sha}",
            "comments_url": f"{url}/commits/{commit.sha}/comments",
            "author": self.user(commit.author),
            "committer": self.user(commit.author),
            "parents": [
                {
                    "sha": parent,
                    "url": f"{url}/commits/{parent}",
                    "html_url": f"{html_url}/commit/{parent}",
                }
                for parent in commit.parents
            ],
        }

    def push_commit(self, repository: Repository, commit: Commit) -> dict[str, Any]:
        """Render a commit as the `commits` of a push payload."""
        person = {
            "name": commit.author.login,
            "email": commit.author.email,
            "username": commit.author.login,
        }
        return {
            "id": commit.sha,
            "tree_id": commit.tree_sha,
            "distinct": True,
            "message": commit.message,
            "timestamp": iso(commit.timestamp),
            "url": f"{self.html_repo_url(repository)}/commit/{commit.sha}",
            "author": person,
            "committer": person,
            "added": list(commit.added),
            "removed": list(commit.removed),
            "modified": list(commit.modified),
        }

    def status(self, repository: Repository, status: CommitStatus) -> dict[str, Any]:
        creator = self.user(status.creator)
        return {
            "url": f"{self.repo_url(repository)}/statuses/{status.sha}",
            "avatar_url": creator["avatar_url"],
            "id": status.id,
            "node_id": node_id("StatusContext", status.id),
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": iso(status.created_at),
            "updated_at": iso(status.created_at),
            "creator": creator,
        }

    def app_integration(self) -> dict[str, Any]:
        """Render the app as `performed_via_github_app`."""
        app = self.app
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": node_id("Integration", app.id),
            "owner": self.user(app.owner),
            "name": app.name,
            "description": None,
            "external_url": f"{self.base_url}/apps/{app.slug}",
            "html_url": f"{self.base_url}/apps/{app.slug}",
            "created_at": iso(app.created_at),
            "updated_at": iso(app.created_at),
            "permissions": dict(app.permissions),
            "events": list(app.events),
        }

    def deployment(
        self, repository: Repository, deployment: Deployment
    ) -> dict[str, Any]:
        url = f"{self.repo_url(repository)}/deployments/{deployment.id}"
        return {
            "url": url,
            "id": deployment.id,
            "node_id": node_id("Deployment", deployment.id),
            "task": deployment.task,
            "original_environment": deployment.original_environment,
            "environment": deployment.environment,
            "description": deployment.description,
            "created_at": iso(deployment.created_at),
            "updated_at": iso(deployment.updated_at),
            "statuses_url": f"{url}/statuses",
            "repository_url": self.repo_url(repository),
            "creator": self.user(deployment.creator),
            "sha": deployment.sha,
            "ref": deployment.ref,
            "payload": deployment.payload,
            "transient_environment": deployment.transient_environment,
            "production_environment": deployment.production_environment,
            "performed_via_github_app": (
                self.app_integration() if deployment.via_app else None
            ),
        }

    def deployment_status(
        self, repository: Repository, status: DeploymentStatus
    ) -> dict[str, Any]:
        deployment_url = f"{self.repo_url(repository)}/deployments/"
        deployment_url += str(status.deployment_id)
        return {
            "url": f"{deployment_url}/statuses/{status.id}",
            "id": status.id,
            "node_id": node_id("DeploymentStatus", status.id),
            "state": status.state,
            "creator": self.user(status.creator),
            "description": status.description,
            "environment": status.environment,
            "target_url": status.target_url,
            "created_at": iso(status.created_at),
            "updated_at": iso(status.created_at),
            "deployment_url": deployment_url,
            "repository_url": self.repo_url(repository),
            "environment_url": status.environment_url,
            "log_url": status.log_url,
            "performed_via_github_app": (
                self.app_integration() if status.via_app else None
            ),
        }

    def content(
        self,
        repository: Repository,
        path: str,
        ref: str,
        data: bytes | None,
        tree_sha: str = "",
    ) -> dict[str, Any]:
        """Render a file (data given) or a directory entry (data None, with the
        directory's tree_sha)."""
        url = f"{self.repo_url(repository)}/contents/{quote(path)}?ref={quote(ref)}"
        kind = "dir" if data is None else "file"
        sha = tree_sha if data is None else git_blob_sha(data)
        html_url = (
            f"{self.html_repo_url(repository)}/{'tree' if data is None else 'blob'}"
        )
        html_url += f"/{quote(ref)}/{quote(path)}"
        git_url = f"{self.repo_url(repository)}/git/"
        git_url += f"{'trees' if data is None else 'blobs'}/{sha}"
        rendered: dict[str, Any] = {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": 0 if data is None else len(data),
            "url": url,
            "html_url": html_url,
            "git_url": git_url,
            "download_url": None,
            "type": kind,
            "_links": {"self": url, "git": git_url, "html": html_url},
        }
        if data is not None:
            rendered["download_url"] = (
                f"{self.base_url}/raw/{repository.full_name}/{quote(ref)}/{quote(path)}"
            )
        return rendered

    def file_content(
        self, repository: Repository, path: str, ref: str, data: bytes
    ) -> dict[str, Any]:
        rendered = self.content(repository, path, ref, data)
        rendered["content"] = base64_lines(data)
        rendered["encoding"] = "base64"
        return rendered
