"""Store the simulated GitHub's data: accounts, repositories, commits and branches."""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

ZERO_SHA = "0" * 40


def git_blob_sha(content: bytes) -> str:
    """Return the sha git gives a blob with this content."""
    header = f"blob {len(content)}\0".encode()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def node_id(kind: str, number: int) -> str:
    """Return a GraphQL-style global node id for an object of this kind."""
    text = f"{len(kind):02d}:{kind}{number}"
    return base64.b64encode(text.encode()).decode()


def iso(moment: datetime) -> str:
    """Format a timestamp the way GitHub's REST API does: UTC with a Z suffix."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class NotFoundError(LookupError):
    """A repository, ref, path or other object does not exist."""


@dataclass
class Account:
    """A user, bot or organization account."""

    login: str
    id: int
    type: str  # "User", "Bot" or "Organization"

    @property
    def node_id(self) -> str:
        prefix = {"Organization": "Organization", "Bot": "Bot"}.get(self.type, "User")
        return node_id(prefix, self.id)

    @property
    def email(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass
class Commit:
    """A commit: a full snapshot of the tree plus what changed from its parent."""

    sha: str
    tree_sha: str
    parents: list[str]
    files: dict[str, bytes]
    message: str
    author: Account
    timestamp: datetime
    added: list[str]
    removed: list[str]
    modified: list[str]


@dataclass
class CommitStatus:
    """A commit status as posted to POST /repos/{owner}/{repo}/statuses/{sha}."""

    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: Account
    created_at: datetime


@dataclass
class DeploymentStatus:
    """One status of a deployment."""

    id: int
    deployment_id: int
    state: str
    description: str
    environment: str
    target_url: str
    log_url: str
    environment_url: str
    creator: Account
    created_at: datetime
    via_app: bool


@dataclass
class Deployment:
    """A deployment request and its statuses, oldest first."""

    id: int
    sha: str
    ref: str
    task: str
    payload: dict | str
    original_environment: str
    environment: str
    description: str | None
    transient_environment: bool
    production_environment: bool
    creator: Account
    created_at: datetime
    updated_at: datetime
    via_app: bool
    statuses: list[DeploymentStatus] = field(default_factory=list)


@dataclass
class Issue:
    """An issue or, when head_branch is set, a pull request."""

    number: int
    id: int
    title: str
    body: str | None
    user: Account
    created_at: datetime
    head_branch: str | None = None
    base_branch: str | None = None
    state: str = "open"
    merged: bool = False
    # The owner of the fork the head branch lives in, for a pull request
    # from a fork; the simulator keeps the branch in the base repository.
    fork_owner: Account | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.head_branch is not None


@dataclass
class IssueComment:
    """A comment on an issue or pull request, with its reactions."""

    id: int
    issue_number: int
    body: str
    user: Account
    created_at: datetime
    updated_at: datetime
    via_app: bool
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Reaction:
    """An emoji reaction to a comment."""

    id: int
    content: str
    user: Account
    created_at: datetime


@dataclass
class Repository:
    """A repository with its git objects and everything attached to it."""

    id: int
    owner_account: Account
    name: str
    default_branch: str
    private: bool
    created_at: datetime
    pushed_at: datetime
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> role
    statuses: list[CommitStatus] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: list[IssueComment] = field(default_factory=list)

    @property
    def owner(self) -> str:
        return self.owner_account.login

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def node_id(self) -> str:
        return node_id("Repository", self.id)

    def head(self, branch: str | None = None) -> str:
        """Return the sha at the head of a branch (the default branch if None)."""
        return self.branches[branch or self.default_branch]

    def resolve(self, ref: str) -> str:
        """Return the commit sha a branch, tag or (abbreviated) sha names.

        Raises NotFoundError when nothing matches, where GitHub responds 404 or 422.
        """
        for prefix in ("refs/heads/", "heads/"):
            if ref.startswith(prefix) and ref[len(prefix) :] in self.branches:
                return self.branches[ref[len(prefix) :]]
        for prefix in ("refs/tags/", "tags/"):
            if ref.startswith(prefix) and ref[len(prefix) :] in self.tags:
                return self.tags[ref[len(prefix) :]]
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.tags:
            return self.tags[ref]
        if ref in self.commits:
            return ref
        # GitHub accepts an abbreviated sha of at least 7 hex digits when unique.
        if len(ref) >= 7:
            matches = [sha for sha in self.commits if sha.startswith(ref.lower())]
            if len(matches) == 1:
                return matches[0]
        raise NotFoundError(ref)

    def ancestors(self, sha: str) -> set[str]:
        """Return every commit reachable from sha, sha included."""
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.commits[current].parents)
        return seen

    def merge_base(self, first: str, second: str) -> str | None:
        """Return a nearest common ancestor of two commits, or None."""
        common = self.ancestors(first) & self.ancestors(second)
        if not common:
            return None
        # The common ancestor with the most ancestors of its own is the nearest.
        return max(common, key=lambda sha: (len(self.ancestors(sha)), sha))

    def branches_containing(self, sha: str) -> list[str]:
        """Return the branches whose history contains sha, default branch first."""
        names = sorted(self.branches, key=lambda name: name != self.default_branch)
        return [name for name in names if sha in self.ancestors(self.branches[name])]


class Store:
    """Accounts and repositories, with counters for deterministic ids."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.repositories: dict[str, Repository] = {}
        self._ids = itertools.count(1001)
        self._ticks = itertools.count(1)

    def now(self) -> datetime:
        """Return the current UTC time to the second, as GitHub's timestamps have."""
        return datetime.now(UTC).replace(microsecond=0)

    def next_id(self) -> int:
        return next(self._ids)

    def account(self, login: str, account_type: str | None = None) -> Account:
        """Return the account with this login, creating it on first use.

        A login ending in "[bot]" is a Bot unless account_type is given.
        """
        key = login.lower()
        if key not in self.accounts:
            default_type = "Bot" if login.endswith("[bot]") else "User"
            self.accounts[key] = Account(
                login, self.next_id(), account_type or default_type
            )
        elif account_type is not None:
            self.accounts[key].type = account_type
        return self.accounts[key]

    def repository(self, owner: str, name: str) -> Repository:
        """Return a repository by owner and name, ignoring case as GitHub does."""
        try:
            return self.repositories[f"{owner}/{name}".lower()]
        except KeyError:
            raise NotFoundError(f"{owner}/{name}") from None

    def add_repository(
        self,
        owner: Account,
        name: str,
        *,
        default_branch: str,
        private: bool,
    ) -> Repository:
        created = self.now()
        repository = Repository(
            id=self.next_id(),
            owner_account=owner,
            name=name,
            default_branch=default_branch,
            private=private,
            created_at=created,
            pushed_at=created,
        )
        self.repositories[repository.full_name.lower()] = repository
        return repository

    def commit(
        self,
        repository: Repository,
        *,
        parents: list[str],
        files: Mapping[str, str | bytes],
        deleted_files: Iterable[str],
        message: str,
        author: Account,
    ) -> Commit:
        """Create a commit on top of the first parent's tree; moves no branch.

        Raises NotFoundError when a file to delete does not exist.
        """
        before = dict(repository.commits[parents[0]].files) if parents else {}
        after = dict(before)
        for path in deleted_files:
            if path not in after:
                raise NotFoundError(path)
            del after[path]
        for path, content in files.items():
            after[path] = content.encode() if isinstance(content, str) else content
        return self.commit_tree(
            repository, parents=parents, tree=after, message=message, author=author
        )

    def commit_tree(
        self,
        repository: Repository,
        *,
        parents: list[str],
        tree: dict[str, bytes],
        message: str,
        author: Account,
    ) -> Commit:
        """Create a commit with exactly this tree; moves no branch."""
        before = repository.commits[parents[0]].files if parents else {}
        timestamp = self.now()
        digest = tree_sha(tree)

        # The sequence number keeps two identical commits made within the same
        # second apart, as the differing clocks of real authors would.
        seconds = int(timestamp.timestamp())
        header = "\n".join(
            [f"tree {digest}"]
            + [f"parent {parent}" for parent in parents]
            + [f"author {author.login} <{author.email}> {seconds}"]
            + [f"committer GitHub <noreply@github.com> {seconds} {next(self._ticks)}"]
        )
        text = f"{header}\n\n{message}".encode()
        sha = hashlib.sha1(
            f"commit {len(text)}\0".encode() + text, usedforsecurity=False
        ).hexdigest()

        commit = Commit(
            sha=sha,
            tree_sha=digest,
            parents=list(parents),
            files=tree,
            message=message,
            author=author,
            timestamp=timestamp,
            added=sorted(set(tree) - set(before)),
            removed=sorted(set(before) - set(tree)),
            modified=sorted(p for p in tree if p in before and before[p] != tree[p]),
        )
        repository.commits[sha] = commit
        return commit


def tree_sha(tree: Mapping[str, bytes]) -> str:
    """Return a digest of a tree: the paths and contents of its files."""
    # A flat digest of paths and blob shas. It is not git's tree format, but
    # like git's it changes exactly when a path or a file's content changes.
    listing = "".join(f"{path}\0{git_blob_sha(tree[path])}\n" for path in sorted(tree))
    return hashlib.sha1(listing.encode(), usedforsecurity=False).hexdigest()
