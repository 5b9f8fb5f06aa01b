"""Decide whether a commenter may run commands, from GitHub's permission API."""

from __future__ import annotations

from dataclasses import dataclass

from gidgethub.abc import GitHubAPI

from bot import github

# `permission` reports maintain as write and triage as read, so the role name
# is read as well; a custom role reports its base permission.
ALLOWED_PERMISSIONS = frozenset({"admin", "write"})
ALLOWED_ROLES = frozenset({"admin", "maintain", "write"})


@dataclass(frozen=True)
class Access:
    """A commenter's access to the repository."""

    permission: str
    role_name: str

    @property
    def allowed(self) -> bool:
        """Whether the access is write, maintain or admin."""
        return self.permission in ALLOWED_PERMISSIONS or self.role_name in ALLOWED_ROLES

    @property
    def description(self) -> str:
        """The access as people read it, e.g. ``triage`` or ``none``."""
        return self.role_name or self.permission


async def check_access(gh: GitHubAPI, owner: str, repo: str, login: str) -> Access:
    """Return a user's access; raises GitHubError when GitHub cannot tell."""
    permission, role_name = await github.permission(gh, owner, repo, login)
    return Access(permission=permission, role_name=role_name)
