"""Create deployments and deployment statuses with GitHub's merge, check and
inactive rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from simulators.github.errors import GitHubError, check_description_length
from simulators.github.state import (
    Account,
    Commit,
    Deployment,
    DeploymentStatus,
    NotFoundError,
    Repository,
    Store,
)
from simulators.github.statuses import latest_by_context

DEPLOYMENT_STATES = (
    "error",
    "failure",
    "inactive",
    "in_progress",
    "queued",
    "pending",
    "success",
)


@dataclass
class AutoMerge:
    """The default branch was merged into the ref instead of deploying it."""

    branch: str
    base_branch: str
    before: str
    commit: Commit

    @property
    def message(self) -> str:
        return f"Auto-merged {self.base_branch} into {self.branch} on deployment."


def create_deployment(
    store: Store,
    repository: Repository,
    body: dict[str, Any],
    *,
    creator: Account,
    via_app: bool,
) -> Deployment | AutoMerge:
    """Create a deployment as POST /repos/{owner}/{repo}/deployments does.

    Returns an AutoMerge instead when the ref is a branch behind the default
    branch (GitHub responds 202). Raises GitHubError 422 for an unknown ref and
    409 for a merge conflict or failed status checks.
    """
    ref = body["ref"]
    try:
        sha = repository.resolve(ref)
    except NotFoundError:
        raise GitHubError(422, f"No ref found for: {ref}") from None
    if body.get("auto_merge", True):
        merged = _auto_merge(store, repository, ref, creator)
        if merged is not None:
            return merged
    _check_contexts(repository, ref, sha, body.get("required_contexts"))
    environment = body.get("environment", "production")
    now = store.now()
    deployment = Deployment(
        id=store.next_id(),
        sha=sha,
        ref=ref,
        task=body.get("task", "deploy"),
        payload=_payload(body.get("payload", {})),
        original_environment=environment,
        environment=environment,
        description=body.get("description"),
        transient_environment=body.get("transient_environment", False),
        production_environment=body.get(
            "production_environment", environment == "production"
        ),
        creator=creator,
        created_at=now,
        updated_at=now,
        via_app=via_app,
    )
    repository.deployments.append(deployment)
    return deployment


def _payload(value: dict[str, Any] | str) -> dict[str, Any] | str:
    # GitHub stores a payload sent as a JSON string as the object it encodes.
    if isinstance(value, str):
        try:
            decoded = json.loads(value) if value else {}
        except ValueError:
            return value
        if isinstance(decoded, dict):
            return decoded
    return value


def _auto_merge(
    store: Store, repository: Repository, ref: str, creator: Account
) -> AutoMerge | None:
    branch = ref.removeprefix("refs/heads/").removeprefix("heads/")
    base_branch = repository.default_branch
    if branch not in repository.branches or branch == base_branch:
        return None
    head = repository.branches[branch]
    base_head = repository.branches[base_branch]
    if base_head in repository.ancestors(head):
        return None
    tree = _merge_trees(repository, head, base_head)
    if tree is None:
        raise GitHubError(409, f"Conflict merging {base_branch} into {branch}.")
    merge = AutoMerge(
        branch=branch,
        base_branch=base_branch,
        before=head,
        commit=store.commit_tree(
            repository,
            parents=[head, base_head],
            tree=tree,
            message=f"Merge {base_branch} into {branch}",
            author=creator,
        ),
    )
    repository.branches[branch] = merge.commit.sha
    repository.pushed_at = merge.commit.timestamp
    return merge


def _merge_trees(
    repository: Repository, ours: str, theirs: str
) -> dict[str, bytes] | None:
    """Three-way merge two commits' trees; return None on a conflict."""
    base_sha = repository.merge_base(ours, theirs)
    base = repository.commits[base_sha].files if base_sha else {}
    our_files = repository.commits[ours].files
    their_files = repository.commits[theirs].files
    merged: dict[str, bytes] = {}
    for path in set(base) | set(our_files) | set(their_files):
        original = base.get(path)
        mine = our_files.get(path)
        other = their_files.get(path)
        if mine == other or other == original:
            result = mine
        elif mine == original:
            result = other
        else:
            return None
        if result is not None:
            merged[path] = result
    return merged


def _check_contexts(
    repository: Repository, ref: str, sha: str, required: list[str] | None
) -> None:
    latest = latest_by_context(repository, sha)
    if required is None:
        required = [status.context for status in latest.values()]
    failed = []
    for context in required:
        status = latest.get(context.lower())
        if status is None:
            # NOTE: GitHub's wording for a required context that has no status
            # at all is assumed to be the state "missing".
            failed.append({"context": context, "state": "missing"})
        elif status.state != "success":
            failed.append({"context": status.context, "state": status.state})
    if failed:
        error = {
            "contexts": failed,
            "resource": "Deployment",
            "field": "required_contexts",
        }
        raise GitHubError(
            409, f"Conflict: Commit status checks failed for {ref}.", errors=[error]
        )


def create_deployment_status(
    store: Store,
    repository: Repository,
    deployment: Deployment,
    body: dict[str, Any],
    *,
    creator: Account,
    via_app: bool,
) -> DeploymentStatus:
    """Add a status to a deployment, and with auto_inactive (the default) an
    `inactive` status to earlier successful deployments of its environment
    that are neither transient nor production."""
    description = body.get("description", "")
    check_description_length("DeploymentStatus", description)
    # Setting log_url sets target_url to the same value, and the reverse.
    log_url = body.get("log_url") or body.get("target_url") or ""
    if "environment" in body:
        deployment.environment = body["environment"]
    status = _add_status(
        store,
        deployment,
        state=body["state"],
        description=description,
        log_url=log_url,
        environment_url=body.get("environment_url", ""),
        creator=creator,
        via_app=via_app,
    )
    if status.state == "success" and body.get("auto_inactive", True):
        _deactivate_earlier(store, repository, deployment, creator, via_app)
    return status


def _add_status(
    store: Store,
    deployment: Deployment,
    *,
    state: str,
    description: str,
    log_url: str,
    environment_url: str,
    creator: Account,
    via_app: bool,
) -> DeploymentStatus:
    status = DeploymentStatus(
        id=store.next_id(),
        deployment_id=deployment.id,
        state=state,
        description=description,
        environment=deployment.environment,
        target_url=log_url,
        log_url=log_url,
        environment_url=environment_url,
        creator=creator,
        created_at=store.now(),
        via_app=via_app,
    )
    deployment.statuses.append(status)
    deployment.updated_at = status.created_at
    return status


def _deactivate_earlier(
    store: Store,
    repository: Repository,
    deployment: Deployment,
    creator: Account,
    via_app: bool,
) -> None:
    for earlier in repository.deployments:
        if earlier.id >= deployment.id:
            continue
        if earlier.environment != deployment.environment:
            continue
        if earlier.transient_environment or earlier.production_environment:
            continue
        if not earlier.statuses or earlier.statuses[-1].state != "success":
            continue
        _add_status(
            store,
            earlier,
            state="inactive",
            description="",
            log_url=earlier.statuses[-1].log_url,
            environment_url=earlier.statuses[-1].environment_url,
            creator=creator,
            via_app=via_app,
        )
