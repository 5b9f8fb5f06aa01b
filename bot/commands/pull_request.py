"""The pull request a command comment was made on, as commands need it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PREVIEW_ENVIRONMENT = "pr-{number}"


def preview_environment(number: int) -> str:
    """Return the name of a pull request's own preview environment."""
    return PREVIEW_ENVIRONMENT.format(number=number)


def preview_service_key(number: int) -> str:
    """Return the key a preview's Service name is derived from.

    Git forbids ':' in branch names, so no branch gets the same Service.
    """
    return f"pr:{number}"


@dataclass(frozen=True)
class PullRequest:
    """A pull request: where it comes from and the commit at its head."""

    owner: str
    repo: str
    number: int
    state: str
    head_sha: str
    head_ref: str
    from_fork: bool
    installation_id: int
    default_branch: str = "main"
    # When the head repository last received a push (RFC 3339), if known.
    head_pushed_at: str | None = None

    @classmethod
    def from_api(
        cls, data: dict[str, Any], *, owner: str, repo: str, installation_id: int
    ) -> PullRequest:
        """Build it from ``GET /repos/{owner}/{repo}/pulls/{number}``."""
        head_repo = (data.get("head") or {}).get("repo") or {}
        base_repo = (data.get("base") or {}).get("repo") or {}
        return cls(
            owner=owner,
            repo=repo,
            number=int(data["number"]),
            state="merged" if data.get("merged") else str(data.get("state")),
            head_sha=data["head"]["sha"],
            head_ref=data["head"]["ref"],
            from_fork=head_repo.get("full_name") != base_repo.get("full_name"),
            installation_id=installation_id,
            default_branch=base_repo.get("default_branch") or "main",
            head_pushed_at=head_repo.get("pushed_at"),
        )

    def pushed_after(self, moment: str) -> bool:
        """Return whether the head repository received a push after a time.

        For a pull request from a fork this shows whether the code may have
        changed after someone read it and commented; GitHub gives the time of
        the fork's last push to any branch, so this errs towards True.
        """
        if not self.head_pushed_at or not moment:
            return False
        return _parse(self.head_pushed_at) > _parse(moment)

    @property
    def preview(self) -> str:
        """The pull request's own preview environment."""
        return preview_environment(self.number)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
