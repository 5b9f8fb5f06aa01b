"""A GitHub deployment as Cite executes it, with the keys of its payload.

Cite's own keys live under ``payload["cite"]``. ``branch`` names the branch
the commit came from, and ``service_key`` what the Service name is derived from
(a branch, or ``pr:N`` for a preview). ``pull_request`` and ``reply`` name the
command's pull request and the comment to update. ``wait_for_build`` is a status
context that must succeed first, and ``scale`` sets replicas, cpu or memory for
this and later releases of the Service. ``image`` is informational only: the
image always comes from the config at the commit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from k8s.manifests import (
    DEPLOYMENT_ID_ANNOTATION,
    INSTALLATION_ANNOTATION,
    REPOSITORY_ANNOTATION,
)

_SHA = re.compile(r"^[0-9a-f]{40}$")
# The newest deploy waiting for a Service's Lease, recorded on that Lease so
# that the leader can start it when the replica it waited in has died.
WAITING_DEPLOYMENT_ANNOTATION = "cite.dev/waiting-deployment-id"
WAITING_INSTALLATION_ANNOTATION = "cite.dev/waiting-installation-id"
WAITING_REPOSITORY_ANNOTATION = "cite.dev/waiting-repository"
WAITING_ANNOTATIONS = (
    WAITING_DEPLOYMENT_ANNOTATION,
    WAITING_INSTALLATION_ANNOTATION,
    WAITING_REPOSITORY_ANNOTATION,
)


@dataclass(frozen=True)
class DeploymentJob:
    """One GitHub deployment to execute, as the ``deployment`` event gives it."""

    installation_id: int
    owner: str
    repo: str
    default_branch: str
    deployment_id: int
    sha: str
    ref: str
    environment: str
    payload: dict[str, Any]

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> DeploymentJob:
        """Build a job from a ``deployment`` webhook payload."""
        deployment = data["deployment"]
        repository = data["repository"]
        payload = deployment.get("payload") or {}
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                payload = {}
        return cls(
            installation_id=data["installation"]["id"],
            owner=repository["owner"]["login"],
            repo=repository["name"],
            default_branch=repository.get("default_branch") or "main",
            deployment_id=deployment["id"],
            sha=deployment["sha"],
            ref=deployment["ref"],
            environment=deployment["environment"],
            payload=payload if isinstance(payload, dict) else {},
        )

    @classmethod
    def from_deployment(
        cls,
        deployment: dict[str, Any],
        *,
        owner: str,
        repo: str,
        installation_id: int,
    ) -> DeploymentJob:
        """Build a job from a deployment read through the REST API."""
        return cls.from_event(
            {
                "deployment": deployment,
                "repository": {"owner": {"login": owner}, "name": repo},
                "installation": {"id": installation_id},
            }
        )

    def waiting_intent(self) -> dict[str, str]:
        """Return the annotations that record this deploy as waiting for the Lease."""
        return {
            WAITING_DEPLOYMENT_ANNOTATION: str(self.deployment_id),
            WAITING_INSTALLATION_ANNOTATION: str(self.installation_id),
            WAITING_REPOSITORY_ANNOTATION: f"{self.owner}/{self.repo}",
        }

    def intent(self) -> dict[str, str]:
        """Return the annotations that record this deploy on its Service's Lease."""
        return {
            DEPLOYMENT_ID_ANNOTATION: str(self.deployment_id),
            INSTALLATION_ANNOTATION: str(self.installation_id),
            REPOSITORY_ANNOTATION: f"{self.owner}/{self.repo}",
        }

    @property
    def branch(self) -> str | None:
        """The branch whose Service this deployment serves."""
        cite = self.cite
        if isinstance(cite.get("branch"), str) and cite["branch"]:
            return cite["branch"]
        if self.ref != self.sha and not _SHA.match(self.ref):
            return self.ref.removeprefix("refs/heads/")
        return None

    @property
    def cite(self) -> dict[str, Any]:
        """Cite's keys of the payload; empty for a deployment made elsewhere."""
        cite = self.payload.get("cite")
        return cite if isinstance(cite, dict) else {}

    @property
    def service_key(self) -> str | None:
        """The name the Service is derived from: the branch, or a preview key."""
        key = self.cite.get("service_key")
        return key if isinstance(key, str) and key else self.branch

    @property
    def reply(self) -> tuple[int, int] | None:
        """The pull request and comment that show this deployment's progress."""
        reply = self.cite.get("reply")
        try:
            return int(reply["issue"]), int(reply["comment"])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def wait_for_build(self) -> str | None:
        """The status context that must be success before the deploy runs."""
        context = self.cite.get("wait_for_build")
        return context if isinstance(context, str) and context else None

    @property
    def scale(self) -> dict[str, str]:
        """Replicas, cpu or memory that this deployment sets for the Service."""
        scale = self.cite.get("scale")
        if not isinstance(scale, dict):
            return {}
        return {
            key: str(value)
            for key, value in scale.items()
            if key in ("replicas", "cpu", "memory")
        }
