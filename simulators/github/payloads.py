"""Build webhook payloads shaped like the ones GitHub sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.github.auth import Installation
from simulators.github.representations import Representer
from simulators.github.state import (
    ZERO_SHA,
    Account,
    CommitStatus,
    Deployment,
    DeploymentStatus,
    Repository,
    iso,
)

MAX_STATUS_BRANCHES = 10  # A status payload lists at most 10 branches.


class PayloadBuilder:
    """Builds the payload of each event the simulator announces."""

    def __init__(
        self,
        representer: Representer,
        installation_for: Callable[[Repository], Installation | None],
    ) -> None:
        self.representer = representer
        self.installation_for = installation_for

    def envelope(self, repository: Repository, sender: Account) -> dict[str, Any]:
        """Return the fields every repository event carries."""
        fields: dict[str, Any] = {
            "repository": self.representer.repository(repository),
            "sender": self.representer.user(sender),
        }
        installation = self.installation_for(repository)
        if installation is not None:
            fields["installation"] = {
                "id": installation.id,
                "node_id": installation.node_id,
            }
        owner = repository.owner_account
        if owner.type == "Organization":
            fields["organization"] = self.representer.organization(owner)
        return fields

    def push(
        self,
        repository: Repository,
        *,
        ref: str,
        before: str,
        after: str,
        new_commits: list[str],
        sender: Account,
    ) -> dict[str, Any]:
        """Build a `push` payload; after is ZERO_SHA when the ref was deleted."""
        html_url = self.representer.html_repo_url(repository)
        created = before == ZERO_SHA
        deleted = after == ZERO_SHA
        if created:
            compare = f"{html_url}/commit/{after}"
        else:
            compare = f"{html_url}/compare/{before[:12]}...{after[:12]}"
        commits = [
            self.representer.push_commit(repository, repository.commits[sha])
            for sha in new_commits
        ]
        head_commit = None
        if not deleted:
            head_commit = self.representer.push_commit(
                repository, repository.commits[after]
            )
        payload = {
            "ref": ref,
            "before": before,
            "after": after,
            "created": created,
            "deleted": deleted,
            "forced": False,
            "base_ref": None,
            "compare": compare,
            "commits": commits,
            "head_commit": head_commit,
            "pusher": {"name": sender.login, "email": sender.email},
            **self.envelope(repository, sender),
        }
        payload["repository"] = self.representer.push_repository(repository)
        return payload

    def status(self, repository: Repository, status: CommitStatus) -> dict[str, Any]:
        """Build a `status` payload with up to 10 branches containing the commit."""
        api_url = self.representer.repo_url(repository)
        branches = [
            {
                "name": name,
                "commit": {
                    "sha": repository.branches[name],
                    "url": f"{api_url}/commits/{repository.branches[name]}",
                },
                "protected": False,
            }
            for name in repository.branches_containing(status.sha)
        ]
        rendered = self.representer.status(repository, status)
        return {
            "id": status.id,
            "sha": status.sha,
            "name": repository.full_name,
            "target_url": status.target_url,
            "avatar_url": rendered["avatar_url"],
            "context": status.context,
            "description": status.description,
            "state": status.state,
            "commit": self.representer.commit(
                repository, repository.commits[status.sha]
            ),
            "branches": branches[:MAX_STATUS_BRANCHES],
            "created_at": iso(status.created_at).replace("Z", "+00:00"),
            "updated_at": iso(status.created_at).replace("Z", "+00:00"),
            **self.envelope(repository, status.creator),
        }

    def deployment(
        self, repository: Repository, deployment: Deployment
    ) -> dict[str, Any]:
        """Build a `deployment` payload with action `created`."""
        rendered = self.representer.deployment(repository, deployment)
        if not isinstance(rendered["payload"], dict):
            # NOTE: a payload stored as a non-JSON string is assumed to reach
            # webhooks as an empty object, since their schema allows objects only.
            rendered["payload"] = {}
        return {
            "action": "created",
            "deployment": rendered,
            "workflow": None,
            "workflow_run": None,
            **self.envelope(repository, deployment.creator),
        }

    def deployment_status(
        self,
        repository: Repository,
        deployment: Deployment,
        status: DeploymentStatus,
    ) -> dict[str, Any]:
        """Build a `deployment_status` payload with action `created`."""
        event = self.deployment(repository, deployment)
        rendered = self.representer.deployment_status(repository, status)
        if not rendered["log_url"]:
            del rendered["log_url"]  # its schema wants a URI when present
        return {
            "action": "created",
            "deployment_status": rendered,
            "deployment": event["deployment"],
            **self.envelope(repository, status.creator),
        }
