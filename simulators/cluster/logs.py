"""The pods/{name}/log subresource: simulated container output as text/plain.

Each run of a container writes one line when it starts and, for an image
whose name contains "crashloop", one line when it exits with code 1. A
container of a Job's pod also writes its arguments, an error line when it was
asked to fail, and its exit code.
`follow=true` keeps the stream open until the container stops running or
the pod is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulators.cluster.errors import bad_request, not_found
from simulators.cluster.params import parse_bool, parse_int
from simulators.cluster.pods import FAIL_MARKER, asks_to_fail, runs_to_completion
from simulators.cluster.store import Store


def _container_status(pod: dict[str, Any], container: str) -> dict[str, Any] | None:
    for status in pod.get("status", {}).get("containerStatuses") or []:
        if status["name"] == container:
            return status
    return None


def _choose_container(pod: dict[str, Any], requested: str | None) -> str:
    names = [container["name"] for container in pod["spec"]["containers"]]
    pod_name = pod["metadata"]["name"]
    if requested is None:
        if len(names) > 1:
            raise bad_request(
                f"a container name must be specified for pod {pod_name}, choose "
                f"one of: [{' '.join(names)}]"
            )
        return names[0]
    if requested not in names:
        raise bad_request(f"container {requested} is not valid for pod {pod_name}")
    return requested


def _run_lines(
    run: dict[str, Any], pod: dict[str, Any], container: str, timestamps: bool
) -> list[str]:
    """Return the lines one run wrote; `run` is a running or terminated state."""
    spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    lines = [(run["startedAt"], f"{container}: started from image {spec['image']}")]
    if runs_to_completion(pod):
        arguments = " ".join(list(spec.get("command") or []) + spec.get("args", []))
        lines.append((run["startedAt"], f"{container}: running {arguments}".rstrip()))
        if "finishedAt" in run and asks_to_fail(spec):
            message = f"error: the arguments ask to fail ({FAIL_MARKER})"
            lines.append((run["finishedAt"], f"{container}: {message}"))
    if "finishedAt" in run:
        lines.append(
            (run["finishedAt"], f"{container}: exited with code {run['exitCode']}")
        )
    return [f"{stamp} {text}\n" if timestamps else f"{text}\n" for stamp, text in lines]


def log_lines(pod: dict[str, Any], container: str, query: Any) -> list[str]:
    """Return the log of the current or, with previous=true, the previous run."""
    status = _container_status(pod, container)
    pod_name = pod["metadata"]["name"]
    previous = parse_bool(query.get("previous"), "previous")
    timestamps = parse_bool(query.get("timestamps"), "timestamps")
    if previous:
        last = (status or {}).get("lastState", {}).get("terminated")
        if last is None:
            raise bad_request(
                f'previous terminated container "{container}" in pod "{pod_name}" '
                "not found"
            )
        lines = _run_lines(last, pod, container, timestamps)
    else:
        state = (status or {}).get("state", {})
        run = state.get("running") or state.get("terminated")
        if run is None and status and status.get("lastState", {}).get("terminated"):
            run = status["lastState"]["terminated"]
        if run is None:
            reason = state.get("waiting", {}).get("reason", "ContainerCreating")
            raise bad_request(
                f'container "{container}" in pod "{pod_name}" is waiting to start: '
                f"{reason}"
            )
        lines = _run_lines(run, pod, container, timestamps)
    tail = parse_int(query.get("tailLines"), "tailLines")
    if tail is not None and tail >= 0:
        lines = lines[len(lines) - tail :] if tail else []
    return lines


async def serve_log(
    request: web.Request,
    store: Store,
    namespace: str,
    name: str,
    is_closing: Callable[[], bool],
) -> web.StreamResponse:
    """Serve GET pods/{name}/log, streaming while follow=true.

    `is_closing` returns True once the server shuts down, which ends a
    followed stream.
    """
    pod = store.get("pods", namespace, name)
    if pod is None:
        raise not_found("pods", "", name)
    container = _choose_container(pod, request.query.get("container"))
    lines = log_lines(pod, container, request.query)
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    await response.prepare(request)
    for line in lines:
        await response.write(line.encode())
    if parse_bool(request.query.get("follow"), "follow"):
        await _follow(request, response, store, pod, container, lines, is_closing)
    await response.write_eof()
    return response


async def _follow(
    request: web.Request,
    response: web.StreamResponse,
    store: Store,
    pod: dict[str, Any],
    container: str,
    sent: list[str],
    is_closing: Callable[[], bool],
) -> None:
    """Write new lines until the container stops running or the pod is gone."""
    metadata = pod["metadata"]
    uid = metadata["uid"]

    def stopped(current: Store) -> bool:
        latest = current.get("pods", metadata["namespace"], metadata["name"])
        if latest is None or latest["metadata"]["uid"] != uid:
            return True
        status = _container_status(latest, container) or {}
        return "running" not in status.get("state", {})

    while True:
        try:
            await store.wait_for(
                lambda current: is_closing() or stopped(current), timeout=1.0
            )
            break
        except TimeoutError:
            if request.transport is None or request.transport.is_closing():
                return
    latest = store.get("pods", metadata["namespace"], metadata["name"])
    if latest is None:
        return
    status = _container_status(latest, container) or {}
    finished = status.get("lastState", {}).get("terminated")
    if finished is None:
        finished = status.get("state", {}).get("terminated")
    if finished is not None:
        for line in _run_lines(finished, latest, container, False)[len(sent) :]:
            await response.write(line.encode())
