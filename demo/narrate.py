"""Print what the bot does, as it happens, from the simulators' records."""

from __future__ import annotations

import asyncio
import re
from typing import Any, TextIO

from demo.stack import Stack
from k8s.manifests import RELEASE_LABEL

_STATUSES = re.compile(r"/repos/[^/]+/[^/]+/statuses/(?P<sha>[0-9a-f]+)$")
_DEPLOYMENTS = re.compile(r"/repos/[^/]+/[^/]+/deployments$")
_DEPLOYMENT_STATUSES = re.compile(
    r"/repos/[^/]+/[^/]+/deployments/(?P<id>\d+)/statuses$"
)
FOREVER = 365 * 24 * 3600.0


def describe_request(record: Any) -> str | None:
    """Return a line for a write the bot made to GitHub; None for reads."""
    if record.method != "POST":
        return None
    if record.status >= 300:
        return f"bot    -> POST {record.path} answered {record.status}"
    body = record.json or {}
    if match := _STATUSES.search(record.path):
        return (
            f"bot    -> commit status {body.get('context')} {body.get('state')} "
            f"on {match['sha'][:7]}: {body.get('description', '')}"
        )
    if _DEPLOYMENTS.search(record.path):
        response = record.response or {}
        return (
            f"bot    -> created deployment #{response.get('id')} of "
            f"{str(body.get('ref'))[:7]} to {body.get('environment')}"
        )
    if match := _DEPLOYMENT_STATUSES.search(record.path):
        url = body.get("environment_url")
        suffix = f" ({url})" if url else ""
        return (
            f"bot    -> deployment #{match['id']} {body.get('state')}: "
            f"{body.get('description', '')}{suffix}"
        )
    if record.path.endswith("/access_tokens"):
        return "bot    -> requested an installation token"
    return None


def describe_delivery(delivery: Any) -> str:
    """Return a line for a webhook the GitHub simulator sent to the bot."""
    name = delivery.event + (f".{delivery.action}" if delivery.action else "")
    answer = delivery.status if delivery.status is not None else delivery.error
    return f"github -> {name} webhook, bot answered {answer}"


def cluster_snapshot(stack: Stack) -> dict[str, str]:
    """Return a line per Service and release describing the cluster's state."""
    lines: dict[str, str] = {}
    for service in stack.cluster.store.list("services"):
        name = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
        selected = (service["spec"].get("selector") or {}).get(RELEASE_LABEL)
        lines[f"service {name}"] = (
            f"Service {name} selects release {selected or '(none yet)'}"
        )
    for deployment in stack.cluster.store.list("deployments"):
        metadata = deployment["metadata"]
        name = f"{metadata['namespace']}/{metadata['name']}"
        ready = (deployment.get("status") or {}).get("readyReplicas") or 0
        wanted = deployment["spec"].get("replicas", 1)
        lines[f"release {name}"] = f"release {name}: {ready}/{wanted} pods Ready"
    return lines


async def narrate_github(stack: Stack, out: TextIO) -> None:
    """Print each write the bot makes to GitHub and each webhook sent to it."""
    requests = deliveries = 0
    github = stack.github
    while True:
        await github.wait_for(
            lambda g, seen=(requests, deliveries): (
                (len(g.requests), len(g.deliveries)) != seen
            ),
            timeout=FOREVER,
        )
        for delivery in github.deliveries[deliveries:]:
            print(describe_delivery(delivery), file=out, flush=True)
        for record in github.requests[requests:]:
            line = describe_request(record)
            if line:
                print(line, file=out, flush=True)
        requests, deliveries = len(github.requests), len(github.deliveries)


async def narrate_cluster(stack: Stack, out: TextIO) -> None:
    """Print each change of a Service's selector and of a release's readiness."""
    shown: dict[str, str] = {}
    while True:
        await stack.cluster.store.wait_for(
            lambda _store, seen=shown: cluster_snapshot(stack) != seen,
            timeout=FOREVER,
        )
        current = cluster_snapshot(stack)
        for key, line in current.items():
            if shown.get(key) != line:
                print(f"k8s    :  {line}", file=out, flush=True)
        for key in shown.keys() - current.keys():
            print(f"k8s    :  {key} removed", file=out, flush=True)
        shown = current


def start_narration(stack: Stack, out: TextIO) -> list[asyncio.Task[None]]:
    """Start printing GitHub and cluster activity; cancel the tasks to stop."""
    return [
        asyncio.create_task(narrate_github(stack, out)),
        asyncio.create_task(narrate_cluster(stack, out)),
    ]
