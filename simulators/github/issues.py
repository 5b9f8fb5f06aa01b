"""Open issues and pull requests, comment on them and react, as people and apps do."""

from __future__ import annotations

from typing import Any

from simulators.github.issue_json import IssueRenderer
from simulators.github.state import (
    Account,
    Issue,
    IssueComment,
    NotFoundError,
    Reaction,
    Repository,
    Store,
)
from simulators.github.webhooks import WebhookSender

DEFAULT_USER = "octocat"


def open_issue(
    store: Store,
    repository: Repository,
    *,
    title: str,
    body: str | None,
    user: Account,
    head_branch: str | None = None,
    base_branch: str | None = None,
) -> Issue:
    """Open an issue, or a pull request when head_branch is given."""
    number = max(repository.issues, default=0) + 1
    issue = Issue(
        number=number,
        id=store.next_id(),
        title=title,
        body=body,
        user=user,
        created_at=store.now(),
        head_branch=head_branch,
        base_branch=base_branch,
    )
    repository.issues[number] = issue
    return issue


def add_comment(
    store: Store,
    repository: Repository,
    issue: Issue,
    body: str,
    user: Account,
    *,
    via_app: bool,
) -> IssueComment:
    now = store.now()
    comment = IssueComment(
        id=store.next_id(),
        issue_number=issue.number,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        via_app=via_app,
    )
    repository.comments.append(comment)
    return comment


def react(
    store: Store, comment: IssueComment, content: str, user: Account
) -> tuple[Reaction, bool]:
    """Add a reaction; return it and whether it is new.

    GitHub returns an existing reaction of the same user and content with
    status 200 instead of 201, so a repeated reaction is not added twice.
    """
    for reaction in comment.reactions:
        if reaction.content == content and reaction.user is user:
            return reaction, False
    reaction = Reaction(store.next_id(), content, user, store.now())
    comment.reactions.append(reaction)
    return reaction, True


class IssueActions:
    """The simulator's Python API for issues, pull requests and comments.

    GitHubSimulator inherits these methods, which rely on its store,
    repository(), issue_json, webhooks and notify().
    """

    store: Store
    issue_json: IssueRenderer
    webhooks: WebhookSender

    def repository(self, owner: str, name: str) -> Repository:
        raise NotImplementedError

    def notify(self) -> None:
        raise NotImplementedError

    def open_issue(
        self,
        owner: str,
        repo: str,
        title: str,
        body: str | None = None,
        user: str = DEFAULT_USER,
    ) -> int:
        """Open an issue; return its number. No webhook is sent."""
        repository = self.repository(owner, repo)
        account = self.store.account(user)
        issue = open_issue(self.store, repository, title=title, body=body, user=account)
        return issue.number

    def open_pull_request(
        self,
        owner: str,
        repo: str,
        head: str,
        base: str | None = None,
        title: str = "",
        body: str | None = None,
        user: str = DEFAULT_USER,
        fork_owner: str | None = None,
    ) -> int:
        """Open a pull request from branch head into base (the default branch);
        return its number. With fork_owner the head is shown as that user's
        fork of the repository."""
        # NOTE: no pull_request webhook is sent yet.
        repository = self.repository(owner, repo)
        if head not in repository.branches:
            raise NotFoundError(f"branch {head}")
        issue = open_issue(
            self.store,
            repository,
            title=title or head,
            body=body,
            user=self.store.account(user),
            head_branch=head,
            base_branch=base or repository.default_branch,
        )
        if fork_owner is not None:
            issue.fork_owner = self.store.account(fork_owner)
        return issue.number

    async def close_pull_request(
        self,
        owner: str,
        repo: str,
        number: int,
        merged: bool = False,
        user: str = DEFAULT_USER,
    ) -> None:
        """Close or merge a pull request and send `pull_request` (closed)."""
        repository = self.repository(owner, repo)
        issue = repository.issues[number]
        issue.state = "closed"
        issue.merged = merged
        payload = self.issue_json.pull_request_payload(
            repository, issue, "closed", self.store.account(user)
        )
        self.webhooks.announce("pull_request", payload)
        self.notify()

    async def comment(
        self, owner: str, repo: str, number: int, body: str, user: str = DEFAULT_USER
    ) -> int:
        """Comment on an issue or pull request as a person does; send
        `issue_comment` (created) and return the comment id.

        Text typed in the browser has CRLF line endings, so pass "\\r\\n"
        to reproduce that.
        """
        repository = self.repository(owner, repo)
        issue = repository.issues[number]
        author = self.store.account(user)
        comment = add_comment(
            self.store, repository, issue, body, author, via_app=False
        )
        payload = self.issue_json.comment_payload(
            repository, comment, "created", author
        )
        self.webhooks.announce("issue_comment", payload)
        self.notify()
        return comment.id

    def comments(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        """Return the comments of an issue or pull request, oldest first."""
        repository = self.repository(owner, repo)
        return [
            self.issue_json.comment(repository, comment)
            for comment in repository.comments
            if comment.issue_number == number
        ]
