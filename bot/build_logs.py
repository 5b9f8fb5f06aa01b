"""Serve a build's whole log at a signed link that expires.

The `target_url` of a `cite/build` status points here. A link carries its
expiry time and an HMAC-SHA256 over the namespace, the Job's name and that
time, keyed with a key derived from the webhook secret. So the bot needs no
storage to check a link, and a link cannot be guessed or extended.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from kubernetes_asyncio import client

from bot.logs import get_logger
from k8s import builds
from k8s.errors import KubernetesError

ROUTE = "/builds/{namespace}/{job}/log"
# Separates this key from every other use of the webhook secret.
KEY_PURPOSE = b"cite build log links"

REJECTED = "This build log link is invalid or has expired."
NO_LOG = "No log of build {job}: the build has no pod, or was removed."
CLUSTER_ERROR = "Reading the log of build {job} failed: {reason}"

logger = get_logger(__name__)


def link_key(webhook_secret: str) -> bytes:
    """Derive the key that signs log links from the webhook secret."""
    return hmac.new(webhook_secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _signature(key: bytes, namespace: str, job: str, expires: int) -> str:
    message = f"{namespace}/{job}/{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def log_link(base_url: str, key: bytes, namespace: str, job: str, expires: int) -> str:
    """Return the URL of a build's log page, valid until `expires` (epoch seconds)."""
    path = ROUTE.format(namespace=namespace, job=job)
    query = urlencode(
        {"expires": expires, "token": _signature(key, namespace, job, expires)}
    )
    return f"{base_url}{path}?{query}"


def is_valid(
    key: bytes, namespace: str, job: str, expires: str, token: str, now: float
) -> bool:
    """Return whether a link's token matches and its expiry is still ahead."""
    if not expires.isdigit() or int(expires) <= now:
        return False
    expected = _signature(key, namespace, job, int(expires))
    return hmac.compare_digest(expected, token)


def make_log_view(
    key: bytes, namespace: str, kube: Callable[[], client.ApiClient]
) -> Any:
    """Return the handler of GET /builds/{namespace}/{job}/log.

    `kube` returns the application's Kubernetes client, which exists only
    while the application runs.
    """

    async def serve_log(request: web.Request) -> web.Response:
        job = request.match_info["job"]
        requested = request.match_info["namespace"]
        expires = request.query.get("expires", "")
        token = request.query.get("token", "")
        if requested != namespace or not is_valid(
            key, requested, job, expires, token, time.time()
        ):
            logger.warning("Rejected a log link of build %s.", job)
            return web.Response(status=403, text=REJECTED)
        try:
            text = await builds.read_build_log(kube(), namespace, job)
        except KubernetesError as error:
            logger.error("Reading the log of build %s failed: %s", job, error)
            return web.Response(
                status=502, text=CLUSTER_ERROR.format(job=job, reason=error)
            )
        if text is None:
            return web.Response(status=404, text=NO_LOG.format(job=job))
        return web.Response(text=text, content_type="text/plain", charset="utf-8")

    return serve_log
