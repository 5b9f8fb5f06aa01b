"""GitHubSimulator: the simulated GitHub's state, its Python API and its records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from simulators.github.auth import App, Authenticator, Installation
from simulators.github.deployments import AutoMerge
from simulators.github.errors import GitHubError
from simulators.github.issue_json import IssueRenderer
from simulators.github.issues import DEFAULT_USER, IssueActions
from simulators.github.middleware import RequestRecord
from simulators.github.payloads import PayloadBuilder
from simulators.github.representations import Representer
from simulators.github.state import (
    ZERO_SHA,
    Account,
    CommitStatus,
    NotFoundError,
    Repository,
    Store,
)
from simulators.github.statuses import create_status, statuses_of
from simulators.github.webhooks import Delivery, WebhookSender


class GitHubSimulator(IssueActions):
    """A GitHub that serves the REST API and sends the app's webhooks.

    Serve make_app() on loopback, then set base_url to the served URL so that
    the URLs in responses and payloads point back at the simulator.
    """

    def __init__(
        self,
        app_id: int,
        app_public_key_pem: str,
        webhook_secret: str,
        webhook_url: str | None = None,
        *,
        app_slug: str = "cite",
        rate_limit: int = 5000,
        base_url: str = "http://127.0.0.1",
    ) -> None:
        self.store = Store()
        self.app = App(
            id=app_id,
            slug=app_slug,
            name=app_slug,
            owner=self.store.account(f"{app_slug}-developers", "Organization"),
            bot=self.store.account(f"{app_slug}[bot]", "Bot"),
            public_key_pem=app_public_key_pem,
            created_at=self.store.now(),
        )
        self.auth = Authenticator(self.app)
        self.rate_limit = rate_limit
        self.representer = Representer(base_url, self.app)
        self.payloads = PayloadBuilder(self.representer, self.installation_for)
        self.issue_json = IssueRenderer(self.payloads)
        self.webhooks = WebhookSender(
            secret=webhook_secret, app_id=app_id, on_change=self.notify
        )
        self.webhooks.webhook_url = webhook_url
        self.requests: list[RequestRecord] = []
        self._changed = asyncio.Event()

    # -- settings ---------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        return self.webhooks.webhook_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.webhooks.webhook_url = url

    @property
    def base_url(self) -> str:
        return self.representer.base_url

    @base_url.setter
    def base_url(self, url: str) -> None:
        self.representer.base_url = url.rstrip("/")

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    def make_app(self) -> web.Application:
        """Return the aiohttp application serving the REST API."""
        from simulators.github.api import build_app

        return build_app(self)

    # -- change notification ----------------------------------------------

    def notify(self) -> None:
        """Wake every wait_for so that it checks its predicate again."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[GitHubSimulator], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 (part of the public API)
    ) -> Any:
        """Wait until predicate(self) is truthy and return its value.

        The predicate is checked now and after every request and delivery.
        Raises TimeoutError when it is still falsy after timeout seconds.
        """
        # asyncio.timeout, unlike asyncio.wait_for on Python 3.11, never
        # swallows a cancellation that arrives as the event is set.
        try:
            async with asyncio.timeout(timeout):
                while not (result := predicate(self)):
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"condition still false after {timeout:g} s") from None
        return result

    # -- accounts, installations, repositories ----------------------------

    def add_installation(
        self,
        owner: str,
        account_type: str = "Organization",
        *,
        repositories: Iterable[str] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> int:
        """Install the app on an account; return the installation id.

        repositories limits it to those repository names (else it covers all),
        permissions replaces the app's default permissions.
        """
        account = self.store.account(owner, account_type)
        installation = Installation(
            id=self.store.next_id(),
            account=account,
            permissions=dict(permissions or self.app.permissions),
            repository_names=(
                None
                if repositories is None
                else {name.lower() for name in repositories}
            ),
        )
        self.auth.installations[installation.id] = installation
        return installation.id

    def installation_for(self, repository: Repository) -> Installation | None:
        """Return the installation covering a repository, if any."""
        for installation in self.auth.installations.values():
            if installation.covers(repository):
                return installation
        return None

    def add_repository(
        self,
        owner: str,
        name: str,
        default_branch: str = "main",
        files: Mapping[str, str | bytes] | None = None,
        private: bool = False,
    ) -> Repository:
        """Create a repository whose default branch has one commit with these files."""
        account = self.store.account(owner)
        repository = self.store.add_repository(
            account, name, default_branch=default_branch, private=private
        )
        commit = self.store.commit(
            repository,
            parents=[],
            files=files or {},
            deleted_files=(),
            message="Initial commit",
            author=self.store.account(DEFAULT_USER),
        )
        repository.branches[default_branch] = commit.sha
        return repository

    def repository(self, owner: str, name: str) -> Repository:
        """Return a repository; raises NotFoundError when it does not exist."""
        return self.store.repository(owner, name)

    def add_collaborator(
        self, owner: str, repo: str, login: str, role_name: str = "write"
    ) -> None:
        """Make login a collaborator with a role: admin, maintain, write, triage,
        read or a custom role's name."""
        self.repository(owner, repo).collaborators[login.lower()] = role_name
        self.store.account(login)

    def add_tag(self, owner: str, repo: str, tag: str, ref: str) -> str:
        """Point a lightweight tag at a ref; return the tagged sha."""
        # NOTE: tags are created silently, without the push webhook GitHub sends.
        repository = self.repository(owner, repo)
        sha = repository.resolve(ref)
        repository.tags[tag] = sha
        return sha

    # -- changes made outside the API, as people and CI do ----------------

    async def push(
        self,
        owner: str,
        repo: str,
        branch: str,
        files: Mapping[str, str | bytes],
        message: str,
        deleted_files: Iterable[str] = (),
        sender: str = DEFAULT_USER,
    ) -> str:
        """Commit files on a branch and send a `push` webhook; return the sha.

        The commit's parent is the branch head, or the default branch head for
        a new branch.
        """
        repository = self.repository(owner, repo)
        pusher = self.store.account(sender)
        before = repository.branches.get(branch, ZERO_SHA)
        parent = repository.head() if before == ZERO_SHA else before
        commit = self.store.commit(
            repository,
            parents=[parent],
            files=files,
            deleted_files=deleted_files,
            message=message,
            author=pusher,
        )
        repository.branches[branch] = commit.sha
        repository.pushed_at = commit.timestamp
        self.announce_push(repository, branch, before, commit.sha, pusher)
        return commit.sha

    async def delete_branch(
        self, owner: str, repo: str, branch: str, sender: str = DEFAULT_USER
    ) -> None:
        """Delete a branch and send the `push` webhook GitHub sends for it."""
        repository = self.repository(owner, repo)
        if branch == repository.default_branch:
            raise ValueError(f"cannot delete the default branch {branch!r}")
        before = repository.branches.pop(branch)
        pusher = self.store.account(sender)
        self.announce_push(repository, branch, before, ZERO_SHA, pusher)

    async def create_status(
        self,
        owner: str,
        repo: str,
        sha: str,
        state: str,
        context: str = "default",
        description: str | None = None,
        target_url: str | None = None,
        creator: str = "ci-bot",
    ) -> dict[str, Any]:
        """Record a commit status as an outside CI does and send `status`.

        Raises GitHubError where GitHub's API would reject the status.
        """
        repository = self.repository(owner, repo)
        status = create_status(
            self.store,
            repository,
            sha,
            state=state,
            context=context,
            description=description,
            target_url=target_url,
            creator=self.store.account(creator),
        )
        self.announce_status(repository, status)
        self.notify()
        return self.representer.status(repository, status)

    # -- webhooks -----------------------------------------------------------

    async def deliver(
        self, event: str, payload: dict[str, Any], delivery_id: str | None = None
    ) -> int | None:
        """Send any payload signed as GitHub would; return the receiver's HTTP
        status, or None when the delivery failed."""
        return await self.webhooks.deliver(event, payload, delivery_id)

    async def close(self) -> None:
        """Let deliveries in flight finish for up to a second, cancel the rest.

        The application from make_app() does this on cleanup; call it when
        the simulator sent webhooks without being served.
        """
        await self.webhooks.close()

    def is_idle(self) -> bool:
        """Return whether no webhook delivery is in flight."""
        return self.webhooks.is_idle()

    async def wait_idle(self) -> None:
        """Wait until no webhook delivery is in flight."""
        await self.webhooks.wait_idle()

    async def redeliver(self, delivery_id: str) -> int | None:
        """Send a recorded delivery again: same GUID, same body."""
        return await self.webhooks.redeliver(delivery_id)

    def announce_push(
        self,
        repository: Repository,
        branch: str,
        before: str,
        after: str,
        pusher: Account,
    ) -> None:
        if after == ZERO_SHA:
            new_commits: list[str] = []
        else:
            # Commits the push made reachable: for a new branch, those not on
            # the default branch.
            known = before if before != ZERO_SHA else repository.head()
            fresh = repository.ancestors(after) - repository.ancestors(known)
            new_commits = sorted(fresh, key=lambda sha: len(repository.ancestors(sha)))
        payload = self.payloads.push(
            repository,
            ref=f"refs/heads/{branch}",
            before=before,
            after=after,
            new_commits=new_commits,
            sender=pusher,
        )
        self.webhooks.announce("push", payload)

    def announce_status(self, repository: Repository, status: CommitStatus) -> None:
        self.webhooks.announce("status", self.payloads.status(repository, status))

    def announce_auto_merge(self, repository: Repository, merge: AutoMerge) -> None:
        self.announce_push(
            repository, merge.branch, merge.before, merge.commit.sha, self.app.bot
        )

    # -- what happened --------------------------------------------------------

    def statuses(self, owner: str, repo: str, sha: str) -> list[dict[str, Any]]:
        """Return a commit's statuses as the API renders them, oldest first."""
        repository = self.repository(owner, repo)
        return [
            self.representer.status(repository, status)
            for status in statuses_of(repository, repository.resolve(sha))
        ]

    def deployments(self, owner: str, repo: str) -> list[dict[str, Any]]:
        """Return a repository's deployments as the API renders them, oldest first."""
        repository = self.repository(owner, repo)
        return [
            self.representer.deployment(repository, deployment)
            for deployment in repository.deployments
        ]

    def deployment_statuses(
        self, owner: str, repo: str, deployment_id: int
    ) -> list[dict[str, Any]]:
        """Return a deployment's statuses as the API renders them, oldest first."""
        repository = self.repository(owner, repo)
        for deployment in repository.deployments:
            if deployment.id == deployment_id:
                return [
                    self.representer.deployment_status(repository, status)
                    for status in deployment.statuses
                ]
        raise NotFoundError(f"deployment {deployment_id}")

    def account(self, login: str) -> Account:
        return self.store.account(login)


__all__ = ["GitHubError", "GitHubSimulator", "RequestRecord"]
