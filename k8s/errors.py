"""Cite's own errors for Kubernetes API failures, chained to the client's error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException


class KubernetesError(Exception):
    """A Kubernetes API request failed; ``status`` is the HTTP code, if any."""

    status: int | None = None

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(KubernetesError):
    """The object or its namespace does not exist (404)."""


class AlreadyExists(KubernetesError):
    """An object with that name exists already (409 AlreadyExists)."""


class Conflict(KubernetesError):
    """The object changed since it was read (409 Conflict)."""


class Invalid(KubernetesError):
    """The API server rejected the object as invalid (422) or malformed (400)."""


class Forbidden(KubernetesError):
    """The bot's account may not do this, or the namespace is terminating (403)."""


class Expired(KubernetesError):
    """A watch or list resourceVersion is too old (410)."""


class Unavailable(KubernetesError):
    """The API server could not be reached or returned 5xx."""


_BY_STATUS: dict[int, type[KubernetesError]] = {
    400: Invalid,
    403: Forbidden,
    404: NotFound,
    410: Expired,
    422: Invalid,
}


def _status_message(error: ApiException) -> tuple[str, str | None]:
    """Return the Status message and reason from an error body, when it has them."""
    try:
        body = json.loads(error.body) if error.body else {}
    except (TypeError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = body.get("message") or error.reason or f"HTTP {error.status}"
    return str(message), body.get("reason")


def translate(error: ApiException) -> KubernetesError:
    """Return Cite's error for a kubernetes-asyncio ApiException."""
    message, reason = _status_message(error)
    status = error.status
    if status == 409:
        kind: type[KubernetesError] = (
            AlreadyExists if reason == "AlreadyExists" else Conflict
        )
    elif status is not None and status >= 500:
        kind = Unavailable
    else:
        kind = _BY_STATUS.get(status or 0, KubernetesError)
    return kind(message, status)


@contextmanager
def kubernetes_errors() -> Iterator[None]:
    """Raise Cite's KubernetesError subclasses in place of the client's errors."""
    try:
        yield
    except ApiException as error:
        raise translate(error) from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise Unavailable(f"Kubernetes API request failed: {error!r}") from error
