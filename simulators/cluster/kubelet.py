"""The simulated kubelet: pod and container status over time, and pod removal.

The status of a pod is a function of the time since it was bound to the
node: ContainerCreating for `pod_start_delay`, then Running, then Ready after
`pod_ready_delay`. Image names choose failure modes: one containing
"notfound" alternates between ErrImagePull and ImagePullBackOff, and one
containing "crashloop" exits after `pod_ready_delay` and enters
CrashLoopBackOff before each restart. Back-offs start at `back_off_delay` and
double up to 30 times that, as the real kubelet goes from 10 s to 5 minutes.

A container of a pod whose restartPolicy is not Always (a Job's pod) runs for
`job_pod_run_delay` and exits with code 0, or with code 1 when its command or
arguments contain "fail-build"; the pod then ends Succeeded or Failed.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from simulators.cluster.clock import format_time
from simulators.cluster.controller import Controller
from simulators.cluster.errors import ApiError
from simulators.cluster.kubelet_events import emit_transition_events
from simulators.cluster.pods import asks_to_fail, normalize_image, runs_to_completion
from simulators.cluster.resources import BY_PLURAL

PODS = BY_PLURAL["pods"]
HOST_IP = "10.0.0.10"
logger = logging.getLogger(__name__)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ContainerTimeline:
    """The state of one container at a time after its pod was bound."""

    def __init__(
        self,
        settings: Any,
        pod: dict[str, Any],
        container: dict[str, Any],
        bound: datetime,
    ) -> None:
        self.settings = settings
        self.pod = pod
        self.container = container
        self.bound = bound
        self.image = normalize_image(container["image"])

    def _at(self, seconds: float) -> str:
        return format_time(self.bound + timedelta(seconds=seconds))

    def _container_id(self, restarts: int) -> str:
        key = f"{self.pod['metadata']['uid']}/{self.container['name']}/{restarts}"
        return "containerd://" + _digest(key)

    def status(self, elapsed: float) -> tuple[dict[str, Any], float | None]:
        """Return the containerStatus and the seconds until it next changes."""
        start = self.settings.pod_start_delay
        result: dict[str, Any] = {
            "name": self.container["name"],
            "image": self.image,
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "started": False,
            "lastState": {},
        }
        if elapsed < start:
            result["state"] = {"waiting": {"reason": "ContainerCreating"}}
            return result, start - elapsed
        name = self.container["image"]
        if "notfound" in name:
            return self._pull_failure(result, elapsed - start)
        result["imageID"] = (
            self.image.rsplit(":", 1)[0] + "@sha256:" + _digest(self.image)
        )
        if "crashloop" in name:
            return self._crash_loop(result, elapsed - start)
        if runs_to_completion(self.pod):
            return self._run_once(result, elapsed - start)
        return self._healthy(result, elapsed - start)

    def _run_once(
        self, result: dict[str, Any], elapsed: float
    ) -> tuple[dict[str, Any], float | None]:
        """Run for job_pod_run_delay, then stay terminated with the exit code."""
        # NOTE: OnFailure pods are not restarted; they end like Never pods.
        run = self.settings.job_pod_run_delay
        result["started"] = elapsed < run
        result["containerID"] = self._container_id(0)
        started_at = self._at(self.settings.pod_start_delay)
        if elapsed < run:
            result["state"] = {"running": {"startedAt": started_at}}
            return result, run - elapsed
        code = 1 if asks_to_fail(self.container) else 0
        result["state"] = {
            "terminated": {
                "exitCode": code,
                "reason": "Error" if code else "Completed",
                "startedAt": started_at,
                "finishedAt": self._at(self.settings.pod_start_delay + run),
                "containerID": result["containerID"],
            }
        }
        return result, None

    def _back_off(self, attempt: int) -> float:
        """Return the wait before retry `attempt`, doubling up to 30 times the first.

        The real kubelet waits 10 s, 20 s, 40 s and so on up to 5 minutes.
        """
        first = self.settings.back_off_delay
        return min(first * 2**attempt, first * 30)

    def _pull_failure(
        self, result: dict[str, Any], elapsed: float
    ) -> tuple[dict[str, Any], float]:
        """Alternate ErrImagePull and an ImagePullBackOff that grows each time."""
        pulling = self.settings.back_off_delay
        attempt, began = 0, 0.0
        while began + pulling + self._back_off(attempt) <= elapsed:
            began += pulling + self._back_off(attempt)
            attempt += 1
        offset = elapsed - began
        if offset < pulling:
            message = (
                f"rpc error: code = NotFound desc = failed to pull and unpack image "
                f'"{self.image}": failed to resolve reference "{self.image}": '
                f"{self.image}: not found"
            )
            result["state"] = {
                "waiting": {"reason": "ErrImagePull", "message": message}
            }
            return result, pulling - offset
        message = f'Back-off pulling image "{self.container["image"]}"'
        result["state"] = {
            "waiting": {"reason": "ImagePullBackOff", "message": message}
        }
        return result, pulling + self._back_off(attempt) - offset

    def _crash_loop(
        self, result: dict[str, Any], elapsed: float
    ) -> tuple[dict[str, Any], float]:
        """Run for pod_ready_delay, exit with code 1, back off, and restart."""
        run = self.settings.pod_ready_delay
        restarts, began, previous = 0, 0.0, 0.0
        while began + run + self._back_off(restarts) <= elapsed:
            previous = began
            began += run + self._back_off(restarts)
            restarts += 1
        offset = elapsed - began

        if offset < run:
            if restarts:
                result["lastState"] = self._terminated(restarts - 1, previous, run)
            result["restartCount"] = restarts
            result["started"] = True
            result["containerID"] = self._container_id(restarts)
            started_at = self._at(self.settings.pod_start_delay + began)
            result["state"] = {"running": {"startedAt": started_at}}
            return result, run - offset

        result["restartCount"] = restarts + 1
        result["containerID"] = self._container_id(restarts)
        result["lastState"] = self._terminated(restarts, began, run)
        pod = self.pod["metadata"]
        seconds = min(10 * 2**restarts, 300)
        result["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {seconds}s restarting failed "
                f"container={self.container['name']} pod={pod['name']}_"
                f"{pod['namespace']}({pod['uid']})",
            }
        }
        return result, run + self._back_off(restarts) - offset

    def _terminated(self, run_index: int, began: float, run: float) -> dict[str, Any]:
        """Return lastState of a run that began `began` seconds after the start."""
        start = self.settings.pod_start_delay
        return {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": self._at(start + began),
                "finishedAt": self._at(start + began + run),
                "containerID": self._container_id(run_index),
            }
        }

    def _healthy(
        self, result: dict[str, Any], elapsed: float
    ) -> tuple[dict[str, Any], float | None]:
        result["started"] = True
        result["containerID"] = self._container_id(0)
        result["state"] = {
            "running": {"startedAt": self._at(self.settings.pod_start_delay)}
        }
        # NOTE: a real kubelet reports a container without a readinessProbe
        # as ready as soon as it runs; the simulator always waits
        # pod_ready_delay, as if every container had a passing probe.
        ready_delay = self.settings.pod_ready_delay
        if elapsed >= ready_delay:
            result["ready"] = True
            return result, None
        return result, ready_delay - elapsed


def _phase(statuses: list[dict[str, Any]]) -> str:
    """Return Succeeded or Failed once every container has exited, else Running."""
    exits = [s["state"].get("terminated", {}).get("exitCode") for s in statuses]
    if any(code is None for code in exits):
        return "Running"
    return "Succeeded" if all(code == 0 for code in exits) else "Failed"


class Kubelet(Controller):
    """Report the status of the pods bound to the node and remove deleted ones."""

    name = "kubelet"
    watched = ("pods",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bound: dict[str, tuple[float, datetime]] = {}
        self._deleted: dict[str, float] = {}
        self._pod_ips: dict[str, str] = {}
        self._next_ip = 2

    def sync(self) -> None:
        now = asyncio.get_running_loop().time()
        pods = [
            pod
            for pod in self.store.list("pods")
            if pod["spec"].get("nodeName") == self.settings.node_name
        ]
        present = {pod["metadata"]["uid"] for pod in pods}
        for table in (self._bound, self._deleted, self._pod_ips):
            for uid in [uid for uid in table if uid not in present]:
                del table[uid]
        for pod in pods:
            try:
                if "deletionTimestamp" in pod["metadata"]:
                    self._terminate(pod, now)
                else:
                    self._report(pod, now)
            except ApiError as error:
                # The pod changed or went away meanwhile; the next pass retries.
                logger.debug(
                    "Kubelet update of pod %s/%s failed: %s",
                    pod["metadata"]["namespace"],
                    pod["metadata"]["name"],
                    error.message,
                )
                self.wake()

    def _terminate(self, pod: dict[str, Any], now: float) -> None:
        uid = pod["metadata"]["uid"]
        seen = self._deleted.setdefault(uid, now)
        grace = pod["metadata"].get("deletionGracePeriodSeconds", 0)
        due = seen + min(self.settings.pod_termination_delay, grace)
        if now < due:
            self.wake_after(due - now)
            return
        metadata = pod["metadata"]
        self.registry.delete(
            PODS, metadata["namespace"], metadata["name"], grace_period=0
        )

    def _pod_ip(self, uid: str) -> str:
        if uid not in self._pod_ips:
            self._pod_ips[uid] = (
                f"10.244.{self._next_ip // 250}.{self._next_ip % 250 + 2}"
            )
            self._next_ip += 1
        return self._pod_ips[uid]

    def _report(self, pod: dict[str, Any], now: float) -> None:
        uid = pod["metadata"]["uid"]
        bound_loop, bound_wall = self._bound.setdefault(uid, (now, self.clock.now()))
        elapsed = now - bound_loop
        statuses = []
        for container in pod["spec"]["containers"]:
            timeline = ContainerTimeline(self.settings, pod, container, bound_wall)
            status, change_in = timeline.status(elapsed)
            statuses.append(status)
            if change_in is not None:
                self.wake_after(change_in)
        status = self._pod_status(pod, statuses, elapsed, bound_wall)
        if status == pod.get("status"):
            return
        updated = copy.deepcopy(pod)
        updated["status"] = status
        self.registry.update(PODS, updated, pod)
        emit_transition_events(self.registry, pod, statuses, self.settings.node_name)

    def _pod_status(
        self,
        pod: dict[str, Any],
        statuses: list[dict[str, Any]],
        elapsed: float,
        bound: datetime,
    ) -> dict[str, Any]:
        old = pod.get("status") or {}
        sandbox_ready = elapsed >= self.settings.pod_start_delay
        created = all(
            s["restartCount"] or "running" in s["state"] or "terminated" in s["state"]
            for s in statuses
        )
        unready = [s["name"] for s in statuses if not s["ready"]]
        phase = _phase(statuses) if created else "Pending"
        now = self.clock.timestamp()
        conditions = [
            self._condition(old, "PodReadyToStartContainers", sandbox_ready, now),
            self._condition(old, "Initialized", True, now),
            self._condition(old, "Ready", not unready, now, unready),
            self._condition(old, "ContainersReady", not unready, now, unready),
        ]
        scheduled = next(
            (c for c in old.get("conditions") or [] if c["type"] == "PodScheduled"),
            None,
        )
        if scheduled is not None:
            conditions.append(scheduled)
        if phase in ("Succeeded", "Failed"):
            for item in conditions[2:4]:
                item["reason"] = "PodCompleted"
                item.pop("message", None)
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": HOST_IP,
            "hostIPs": [{"ip": HOST_IP}],
        }
        if sandbox_ready:
            ip = self._pod_ip(pod["metadata"]["uid"])
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        status["startTime"] = format_time(bound)
        status["containerStatuses"] = statuses
        status["qosClass"] = old.get("qosClass", "BestEffort")
        return status

    @staticmethod
    def _condition(
        old: dict[str, Any],
        condition_type: str,
        value: bool,
        now: str,
        unready: list[str] | None = None,
    ) -> dict[str, Any]:
        text = "True" if value else "False"
        previous = next(
            (c for c in old.get("conditions") or [] if c["type"] == condition_type),
            None,
        )
        result: dict[str, Any] = {
            "type": condition_type,
            "status": text,
            "lastProbeTime": None,
            "lastTransitionTime": now,
        }
        if previous is not None and previous["status"] == text:
            result["lastTransitionTime"] = previous["lastTransitionTime"]
        if unready:
            result["reason"] = "ContainersNotReady"
            result["message"] = f"containers with unready status: [{' '.join(unready)}]"
        return result
