"""Print what the bot does, as it happens, from the simulators' records."""

from __future__ import annotations

import asyncio
import re
from typing import Any, TextIO

from demo.stack import Stack
from k8s.manifests import RELEASE_LABEL, UNSELECTED_AT_ANNOTATION

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
    if record.path.endswith("/access_tokens") and body.get("repositories"):
        names = ", ".join(body["repositories"])
        return f"bot    -> requested a token that can only read {names}"
    if record.path.endswith("/access_tokens"):
        return "bot    -> requested an installation token"
    return None


def describe_delivery(delivery: Any) -> str:
    """Return a line for a webhook the GitHub simulator sent to the bot."""
    name = delivery.event + (f".{delivery.action}" if delivery.action else "")
    answer = delivery.status if delivery.status is not None else delivery.error
    return f"github -> {name} webhook, bot answered {answer}"


def job_state(job: dict[str, Any]) -> str:
    """Return a build Job's state: created, running, or its final condition."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Complete" and condition["status"] == "True":
            return "succeeded"
        if condition.get("type") == "Failed" and condition["status"] == "True":
            return f"failed ({condition.get('reason')})"
    return "running" if status.get("active") else "created"


def cluster_snapshot(stack: Stack) -> dict[str, str]:
    """Return a line per Service, release and build Job of the cluster's state."""
    lines: dict[str, str] = {}
    selected: set[str] = set()
    for service in stack.cluster.store.list("services"):
        name = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
        release = (service["spec"].get("selector") or {}).get(RELEASE_LABEL)
        if release:
            selected.add(f"{service['metadata']['namespace']}/{release}")
        lines[f"service {name}"] = (
            f"Service {name} selects release {release or '(none yet)'}"
        )
    for job in stack.cluster.store.list("jobs"):
        name = f"{job['metadata']['namespace']}/{job['metadata']['name']}"
        lines[f"job {name}"] = f"build Job {name}: {job_state(job)}"
    for deployment in stack.cluster.store.list("deployments"):
        metadata = deployment["metadata"]
        name = f"{metadata['namespace']}/{metadata['name']}"
        ready = (deployment.get("status") or {}).get("readyReplicas") or 0
        wanted = deployment["spec"].get("replicas", 1)
        unselected = (metadata.get("annotations") or {}).get(UNSELECTED_AT_ANNOTATION)
        role = "live" if name in selected else "not selected"
        if unselected and name not in selected:
            role = f"standby since {unselected}"
        lines[f"release {name}"] = (
            f"release {name}: {ready}/{wanted} pods Ready, {role}"
        )
    return lines


class Narrator:
    """Prints each GitHub write, webhook and cluster change once, in order."""

    def __init__(self, stack: Stack, out: TextIO) -> None:
        self._stack = stack
        self._out = out
        self._requests = 0
        self._deliveries = 0
        self._cluster: dict[str, str] = {}

    def print_new(self) -> None:
        """Print everything that happened since the last call."""
        github = self._stack.github
        for delivery in github.deliveries[self._deliveries :]:
            self._print(describe_delivery(delivery))
        for record in github.requests[self._requests :]:
            line = describe_request(record)
            if line:
                self._print(line)
        self._requests, self._deliveries = len(github.requests), len(github.deliveries)
        current = cluster_snapshot(self._stack)
        for key, line in current.items():
            if self._cluster.get(key) != line:
                self._print(f"k8s    :  {line}")
        for key in self._cluster.keys() - current.keys():
            self._print(f"k8s    :  {key} removed")
        self._cluster = current

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    def _github_changed(self, github: Any) -> bool:
        return (len(github.requests), len(github.deliveries)) != (
            self._requests,
            self._deliveries,
        )

    async def follow_github(self) -> None:
        """Print GitHub activity as it happens, until cancelled."""
        while True:
            await self._stack.github.wait_for(self._github_changed, timeout=FOREVER)
            self.print_new()

    async def follow_cluster(self) -> None:
        """Print cluster changes as they happen, until cancelled."""
        while True:
            await self._stack.cluster.store.wait_for(
                lambda _store: cluster_snapshot(self._stack) != self._cluster,
                timeout=FOREVER,
            )
            self.print_new()

    def start(self) -> list[asyncio.Task[None]]:
        """Start following both simulators; cancel the tasks to stop."""
        return [
            asyncio.create_task(self.follow_github()),
            asyncio.create_task(self.follow_cluster()),
        ]
