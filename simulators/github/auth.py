"""Verify the app's JWT, and issue and check installation tokens."""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from simulators.github.errors import (
    GitHubError,
    bad_credentials,
    not_accessible,
    not_found,
    requires_authentication,
)
from simulators.github.state import Account, Repository, node_id

JWT_MAX_LIFETIME = 600  # GitHub rejects an `exp` more than 10 minutes ahead.
JWT_CLOCK_SKEW = 60  # An `iat` up to this many seconds ahead is tolerated.
TOKEN_LIFETIME = 3600  # Installation tokens expire after one hour.

_LEVELS = {"read": 1, "write": 2, "admin": 3}
_TOKEN_ALPHABET = string.ascii_letters + string.digits

DEFAULT_PERMISSIONS = {
    "contents": "read",
    "deployments": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}


@dataclass
class App:
    """The GitHub App whose webhooks the simulator sends."""

    id: int
    slug: str
    name: str
    owner: Account
    bot: Account
    public_key_pem: str
    created_at: datetime
    permissions: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_PERMISSIONS)
    )
    events: list[str] = field(
        default_factory=lambda: [
            "deployment",
            "deployment_status",
            "issue_comment",
            "pull_request",
            "push",
            "status",
        ]
    )


@dataclass
class Installation:
    """The app installed on one account, for all or some of its repositories."""

    id: int
    account: Account
    permissions: dict[str, str]
    # Lowercased names of the repositories it covers; None means all of them.
    repository_names: set[str] | None

    @property
    def node_id(self) -> str:
        return node_id("IntegrationInstallation", self.id)

    def covers(self, repository: Repository) -> bool:
        if repository.owner_account is not self.account:
            return False
        names = self.repository_names
        return names is None or repository.name.lower() in names


@dataclass
class InstallationToken:
    """An installation access token, limited to some repositories and permissions."""

    token: str
    installation: Installation
    expires_at: float  # Unix time
    permissions: dict[str, str]
    repository_ids: set[int] | None

    def covers(self, repository: Repository) -> bool:
        if not self.installation.covers(repository):
            return False
        return self.repository_ids is None or repository.id in self.repository_ids


def _jwt_error(message: str) -> GitHubError:
    return GitHubError(401, message)


class Authenticator:
    """Verifies app JWTs and issues and checks installation tokens."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, InstallationToken] = {}

    def verify_app_jwt(self, authorization: str | None) -> None:
        """Check an `Authorization: Bearer <JWT>` header the way GitHub does.

        Raises GitHubError 401 with GitHub's message for each kind of bad token.
        """
        credentials = _credentials(authorization)
        if credentials is None:
            raise _jwt_error("A JSON web token could not be decoded")
        # The signature is checked here and the claims by _check_claims, which
        # words each rejection as GitHub does.
        try:
            signed = jwt.PyJWS().decode(
                credentials, self.app.public_key_pem, algorithms=["RS256"]
            )
            claims = json.loads(signed)
        except (jwt.PyJWTError, ValueError):
            raise _jwt_error("A JSON web token could not be decoded") from None
        if not isinstance(claims, dict):
            raise _jwt_error("A JSON web token could not be decoded")
        _check_claims(claims, self.app.id)

    def issue_token(
        self, installation: Installation, request: dict[str, Any]
    ) -> InstallationToken:
        """Create a token, limited as POST .../access_tokens's body requests."""
        permissions = dict(installation.permissions)
        if "permissions" in request:
            permissions = _narrow_permissions(installation, request["permissions"])
        token = InstallationToken(
            token="ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36)),
            installation=installation,
            expires_at=time.time() + TOKEN_LIFETIME,
            permissions=permissions,
            repository_ids=None,
        )
        self.tokens[token.token] = token
        return token

    def token(self, authorization: str | None) -> InstallationToken:
        """Return the valid installation token an Authorization header carries.

        Raises GitHubError 401 when the header is missing, unknown or expired.
        """
        if authorization is None:
            raise requires_authentication()
        credentials = _credentials(authorization)
        token = self.tokens.get(credentials or "")
        if token is None or token.expires_at <= time.time():
            raise bad_credentials()
        return token

    def authorize(
        self,
        token: InstallationToken,
        repository: Repository,
        permission: str,
        level: str,
    ) -> None:
        """Raise 404 for a repository outside the token, 403 without permission."""
        if not token.covers(repository):
            raise not_found()
        granted = token.permissions.get(permission)
        if granted is None or _LEVELS[granted] < _LEVELS[level]:
            raise not_accessible()


def _credentials(authorization: str | None) -> str | None:
    """Return the credentials of a `token X` or `Bearer X` header, else None."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not credentials.strip():
        return None
    return credentials.strip()


def _check_claims(claims: dict[str, Any], app_id: int) -> None:
    now = time.time()
    expires = claims.get("exp")
    issued = claims.get("iat")
    if not isinstance(expires, int | float) or expires <= now:
        raise _jwt_error(
            "'Expiration time' claim ('exp') must be a numeric value representing"
            " the future time at which the assertion expires"
        )
    if expires > now + JWT_MAX_LIFETIME:
        raise _jwt_error("'Expiration time' claim ('exp') is too far in the future")
    if not isinstance(issued, int | float) or issued > now + JWT_CLOCK_SKEW:
        raise _jwt_error(
            "'Issued at' claim ('iat') must be an Integer representing the time"
            " that the assertion was issued"
        )
    # GitHub accepts the app id as a number or as a string of digits.
    if str(claims.get("iss")) != str(app_id):
        # NOTE: GitHub's message for a JWT of another app is assumed to be the
        # undecodable-token one, since it cannot find a key for that issuer.
        raise _jwt_error("A JSON web token could not be decoded")


def _narrow_permissions(
    installation: Installation, requested: dict[str, str]
) -> dict[str, str]:
    for name, level in requested.items():
        granted = installation.permissions.get(name)
        if granted is None or _LEVELS.get(level, 99) > _LEVELS[granted]:
            raise GitHubError(
                422, "The permissions requested are not granted to this installation."
            )
    return dict(requested)


def limit_repositories(
    token: InstallationToken, repositories: list[Repository]
) -> None:
    """Limit a token to these repositories, all of which its installation covers.

    Raises GitHubError 422 as GitHub does when one is outside the installation.
    """
    if any(not token.installation.covers(r) for r in repositories):
        raise GitHubError(
            422,
            "There is at least one repository that does not exist or is not"
            " accessible to the parent installation.",
        )
    token.repository_ids = {repository.id for repository in repositories}


def expires_at_text(token: InstallationToken) -> str:
    moment = datetime.fromtimestamp(int(token.expires_at), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
