"""Render issues, pull requests, comments and reactions as GitHub's JSON."""

from __future__ import annotations

from typing import Any

from simulators.github.payloads import PayloadBuilder
from simulators.github.state import (
    Account,
    Issue,
    IssueComment,
    Reaction,
    Repository,
    iso,
    node_id,
)

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def author_association(repository: Repository, account: Account) -> str:
    if account.login.lower() == repository.owner.lower():
        return "OWNER"
    if account.login.lower() in repository.collaborators:
        return "COLLABORATOR"
    return "NONE"


class IssueRenderer:
    """Builds the JSON of issues, comments and reactions, and their payloads."""

    def __init__(self, payloads: PayloadBuilder) -> None:
        self.payloads = payloads
        self.representer = payloads.representer

    def _reactions(self, url: str, comment: IssueComment | None) -> dict[str, Any]:
        contents = [r.content for r in comment.reactions] if comment else []
        counts = {name: contents.count(name) for name in REACTIONS}
        return {"url": f"{url}/reactions", "total_count": len(contents), **counts}

    def issue(self, repository: Repository, issue: Issue) -> dict[str, Any]:
        representer = self.representer
        url = f"{representer.repo_url(repository)}/issues/{issue.number}"
        kind = "pull" if issue.is_pull_request else "issues"
        html_url = f"{representer.html_repo_url(repository)}/{kind}/{issue.number}"
        comments = [c for c in repository.comments if c.issue_number == issue.number]
        rendered: dict[str, Any] = {
            "url": url,
            "repository_url": representer.repo_url(repository),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html_url,
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": representer.user(issue.user),
            "labels": [],
            "state": issue.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(comments),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.created_at),
            "closed_at": None,
            "author_association": author_association(repository, issue.user),
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": self._reactions(url, None),
        }
        if issue.is_pull_request:
            pull_url = f"{representer.repo_url(repository)}/pulls/{issue.number}"
            rendered["pull_request"] = {
                "url": pull_url,
                "html_url": html_url,
                "diff_url": f"{html_url}.diff",
                "patch_url": f"{html_url}.patch",
                "merged_at": iso(issue.created_at) if issue.merged else None,
            }
        return rendered

    def comment(self, repository: Repository, comment: IssueComment) -> dict[str, Any]:
        representer = self.representer
        api = representer.repo_url(repository)
        url = f"{api}/issues/comments/{comment.id}"
        issue = repository.issues[comment.issue_number]
        kind = "pull" if issue.is_pull_request else "issues"
        html = f"{representer.html_repo_url(repository)}/{kind}/{issue.number}"
        return {
            "url": url,
            "html_url": f"{html}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{issue.number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": representer.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": author_association(repository, comment.user),
            "body": comment.body,
            "reactions": self._reactions(url, comment),
            "performed_via_github_app": (
                representer.app_integration() if comment.via_app else None
            ),
        }

    def reaction(self, reaction: Reaction) -> dict[str, Any]:
        return {
            "id": reaction.id,
            "node_id": node_id("Reaction", reaction.id),
            "user": self.representer.user(reaction.user),
            "content": reaction.content,
            "created_at": iso(reaction.created_at),
        }

    def comment_payload(
        self,
        repository: Repository,
        comment: IssueComment,
        action: str,
        sender: Account,
        previous_body: str | None = None,
    ) -> dict[str, Any]:
        """Build an `issue_comment` payload for created, edited or deleted."""
        issue = repository.issues[comment.issue_number]
        payload: dict[str, Any] = {
            "action": action,
            "issue": self.issue(repository, issue),
            "comment": self.comment(repository, comment),
        }
        if action == "edited":
            payload["changes"] = {"body": {"from": previous_body or ""}}
        payload.update(self.payloads.envelope(repository, sender))
        return payload

    def pull_request(self, repository: Repository, issue: Issue) -> dict[str, Any]:
        """Render a pull request as GET /repos/{owner}/{repo}/pulls/{n} does."""
        representer = self.representer
        rendered = self.issue(repository, issue)
        links = rendered.pop("pull_request")
        api = representer.repo_url(repository)
        url = links["url"]
        head_sha = repository.branches.get(issue.head_branch or "", "")
        base_sha = repository.branches.get(issue.base_branch or "", "")
        for key in ("repository_url", "labels_url", "events_url", "reactions"):
            rendered.pop(key)
        rendered |= {
            "url": url,
            "diff_url": links["diff_url"],
            "patch_url": links["patch_url"],
            "issue_url": f"{api}/issues/{issue.number}",
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "statuses_url": f"{api}/statuses/{head_sha}",
            "merged_at": iso(issue.created_at) if issue.merged else None,
            "merge_commit_sha": None,
            "requested_reviewers": [],
            "requested_teams": [],
            "draft": False,
            "head": self._branch(
                repository, issue.head_branch, head_sha, fork_owner=issue.fork_owner
            ),
            "base": self._branch(repository, issue.base_branch, base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": rendered["html_url"]},
                "issue": {"href": f"{api}/issues/{issue.number}"},
                "comments": {"href": f"{api}/issues/{issue.number}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": f"{api}/statuses/{head_sha}"},
            },
            "auto_merge": None,
            "merged": issue.merged,
            "mergeable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "maintainer_can_modify": False,
            "review_comments": 0,
            "commits": 1,
            "additions": 0,
            "deletions": 0,
            "changed_files": 0,
        }
        return rendered

    def _branch(
        self,
        repository: Repository,
        branch: str | None,
        sha: str,
        fork_owner: Account | None = None,
    ) -> dict[str, Any]:
        owner = repository.owner_account
        repo = self.representer.repository(repository)
        if fork_owner is not None:
            owner = fork_owner
            repo = {
                **repo,
                "id": repo["id"] + 1_000_000,
                "full_name": f"{fork_owner.login}/{repository.name}",
                "owner": self.representer.user(owner),
                "fork": True,
            }
        return {
            "label": f"{owner.login}:{branch}",
            "ref": branch,
            "sha": sha,
            "user": self.representer.user(owner),
            "repo": repo,
        }

    def pull_request_payload(
        self, repository: Repository, issue: Issue, action: str, sender: Account
    ) -> dict[str, Any]:
        """Build a `pull_request` payload, e.g. for closed."""
        payload: dict[str, Any] = {
            "action": action,
            "number": issue.number,
            "pull_request": self.pull_request(repository, issue),
        }
        payload.update(self.payloads.envelope(repository, sender))
        return payload
