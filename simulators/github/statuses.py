"""Create commit statuses and compute a commit's combined status as GitHub does."""

from __future__ import annotations

from simulators.github.errors import (
    GitHubError,
    check_description_length,
    validation_failed,
)
from simulators.github.state import (
    Account,
    CommitStatus,
    NotFoundError,
    Repository,
    Store,
)

STATES = ("error", "failure", "pending", "success")
MAX_STATUSES_PER_CONTEXT = 1000  # per sha and context, within a repository


def resolve_commit(repository: Repository, sha: str) -> str:
    """Return the full sha of a commit, or raise GitHub's 422 for an unknown one."""
    try:
        return repository.resolve(sha)
    except NotFoundError:
        raise GitHubError(422, f"No commit found for SHA: {sha}") from None


def create_status(
    store: Store,
    repository: Repository,
    sha: str,
    *,
    state: str,
    context: str,
    description: str | None,
    target_url: str | None,
    creator: Account,
) -> CommitStatus:
    """Record a commit status; raises GitHubError 422 where GitHub rejects it."""
    full_sha = resolve_commit(repository, sha)
    if state not in STATES:
        raise validation_failed("Status", "state", f"state is not included in {STATES}")
    check_description_length("Status", description)
    same = [
        status
        for status in repository.statuses
        if status.sha == full_sha and status.context.lower() == context.lower()
    ]
    if len(same) >= MAX_STATUSES_PER_CONTEXT:
        raise validation_failed(
            "Status",
            "context",
            "This SHA and context has reached the maximum number of statuses.",
        )
    status = CommitStatus(
        id=store.next_id(),
        sha=full_sha,
        state=state,
        context=context,
        description=description,
        target_url=target_url,
        creator=creator,
        created_at=store.now(),
    )
    repository.statuses.append(status)
    return status


def statuses_of(repository: Repository, sha: str) -> list[CommitStatus]:
    """Return every status of a commit, oldest first."""
    return [status for status in repository.statuses if status.sha == sha]


def latest_by_context(repository: Repository, sha: str) -> dict[str, CommitStatus]:
    """Return the newest status of each context (compared case-insensitively)."""
    latest: dict[str, CommitStatus] = {}
    for status in statuses_of(repository, sha):
        latest[status.context.lower()] = status
    return latest


def combined_state(statuses: list[CommitStatus]) -> str:
    """Combine the latest status of each context into one state.

    failure if any is error or failure, pending if any is pending or there are
    none, success otherwise.
    """
    states = {status.state for status in statuses}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"
