"""Build GitHub's error responses: the status code with the JSON body GitHub sends."""

from __future__ import annotations

from typing import Any

DOCS_URL = "https://docs.github.com/rest"


class GitHubError(Exception):
    """An error response; the API middleware turns it into JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message}
        if errors is not None:
            self.body["errors"] = errors
        self.body["documentation_url"] = DOCS_URL
        self.headers = headers or {}


def not_found() -> GitHubError:
    return GitHubError(404, "Not Found")


def bad_credentials() -> GitHubError:
    return GitHubError(401, "Bad credentials")


def requires_authentication() -> GitHubError:
    return GitHubError(401, "Requires authentication")


def not_accessible() -> GitHubError:
    """Return the 403 an installation token gets without the needed permission."""
    return GitHubError(403, "Resource not accessible by integration")


def validation_failed(resource: str, field: str, message: str) -> GitHubError:
    """Return the 422 GitHub sends when a model-level check fails."""
    error = {"resource": resource, "code": "custom", "field": field}
    error["message"] = message
    return GitHubError(422, "Validation Failed", errors=[error])


def invalid_request(detail: str) -> GitHubError:
    """Return the 422 GitHub sends when a body breaks the operation's schema."""
    return GitHubError(422, f"Invalid request.\n\n{detail}")


def check_description_length(resource: str, description: str | None) -> None:
    """Raise GitHub's 422 for a description longer than 140 characters."""
    if description is not None and len(description) > 140:
        raise validation_failed(
            resource,
            "description",
            "description is too long (maximum is 140 characters)",
        )
