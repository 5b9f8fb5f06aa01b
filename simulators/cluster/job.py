"""The Job controller: run a Job's pods to completion and report the outcome.

A Job gets `startTime` and one pod at a time. When a pod succeeds the status
gets `SuccessCriteriaMet`, then `Complete` with `completionTime`, each in a
write of its own, as Kubernetes 1.31 and later write them. When more pods
failed than `backoffLimit` allows, or `activeDeadlineSeconds` has passed on
the simulator's clock, the status gets `FailureTarget`, the running pods are
deleted, and `Failed` follows once they are gone.

NOTE: `ttlSecondsAfterFinished`, suspension, indexed completion and
parallelism above 1 are stored but not acted on.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from simulators.cluster.clock import parse_time
from simulators.cluster.controller import Controller, owner_uids
from simulators.cluster.errors import ApiError
from simulators.cluster.pods import is_active, is_ready
from simulators.cluster.resources import BY_PLURAL

JOBS = BY_PLURAL["jobs"]
PODS = BY_PLURAL["pods"]
COMPONENT = "job-controller"
FINISHED = ("Complete", "Failed")
DEADLINE_EXCEEDED = (
    "DeadlineExceeded",
    "Job was active longer than specified deadline",
)
BACKOFF_LIMIT_EXCEEDED = (
    "BackoffLimitExceeded",
    "Job has reached the specified backoff limit",
)
COMPLETIONS_REACHED = (
    "CompletionsReached",
    "Reached expected number of succeeded pods",
)
logger = logging.getLogger(__name__)


def job_condition(job: dict[str, Any], condition_type: str) -> dict[str, Any] | None:
    """Return the Job's condition of a type when its status is True."""
    for item in job.get("status", {}).get("conditions") or []:
        if item.get("type") == condition_type and item.get("status") == "True":
            return item
    return None


def is_finished(job: dict[str, Any]) -> bool:
    """Return whether the Job has its final Complete or Failed condition."""
    return any(job_condition(job, kind) for kind in FINISHED)


class JobController(Controller):
    """Create the pods of each Job and write its counts and conditions."""

    name = COMPONENT
    watched = ("jobs", "pods")

    def sync(self) -> None:
        for job in self.store.list("jobs"):
            if "deletionTimestamp" in job["metadata"] or is_finished(job):
                continue
            try:
                self.sync_job(job)
            except ApiError as error:
                # The Job changed or went away meanwhile; retry on the next pass.
                logger.debug(
                    "Sync of job %s/%s failed: %s",
                    job["metadata"]["namespace"],
                    job["metadata"]["name"],
                    error.message,
                )
                self.wake()

    def _pods(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        uid = job["metadata"]["uid"]
        return [
            pod
            for pod in self.store.list("pods", job["metadata"]["namespace"])
            if uid in owner_uids(pod, controller_only=True)
        ]

    def sync_job(self, job: dict[str, Any]) -> None:
        if "startTime" not in job["status"]:
            job = self._write_status(job, {**job["status"], "startTime": self._now()})
        pods = self._pods(job)
        if job_condition(job, "FailureTarget"):
            self._finish_failure(job, pods)
            return
        spec = job["spec"]
        failed = sum(1 for pod in pods if pod["status"].get("phase") == "Failed")
        succeeded = sum(1 for pod in pods if pod["status"].get("phase") == "Succeeded")
        if self._deadline_passed(job):
            self._fail(job, pods, DEADLINE_EXCEEDED)
        elif succeeded >= spec.get("completions", 1):
            self._complete(job, succeeded)
        elif failed > spec.get("backoffLimit", 6):
            self._fail(job, pods, BACKOFF_LIMIT_EXCEEDED)
        else:
            if not any(is_active(pod) for pod in pods) and self._create_pod(job):
                pods = self._pods(job)
            self._write_counts(job, pods)

    def _now(self) -> str:
        return self.clock.timestamp()

    def _deadline_passed(self, job: dict[str, Any]) -> bool:
        """Return whether activeDeadlineSeconds has passed since startTime.

        A deadline still ahead schedules a pass for the moment it passes.
        """
        deadline = job["spec"].get("activeDeadlineSeconds")
        if deadline is None:
            return False
        started = parse_time(job["status"]["startTime"])
        remaining = deadline - (self.clock.now() - started).total_seconds()
        if remaining <= 0:
            return True
        self.wake_after(remaining)
        return False

    def _create_pod(self, job: dict[str, Any]) -> bool:
        return self.create_owned_pod(job, COMPONENT)

    def _write_counts(self, job: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        active = [pod for pod in pods if is_active(pod)]
        counts = {
            "active": len(active),
            "ready": sum(1 for pod in active if is_ready(pod)),
            "failed": sum(1 for pod in pods if pod["status"].get("phase") == "Failed"),
        }
        status = {
            key: value for key, value in job["status"].items() if key not in counts
        }
        # JobStatus.ready has no omitempty; the other counts are left out at 0.
        status.update({key: value for key, value in counts.items() if value})
        status["ready"] = counts["ready"]
        self._write_status(job, status)

    def _complete(self, job: dict[str, Any], succeeded: int) -> None:
        status = {
            key: value
            for key, value in job["status"].items()
            if key not in ("active", "ready")
        }
        status.update({"succeeded": succeeded, "ready": 0})
        status["conditions"] = [
            self._condition("SuccessCriteriaMet", COMPLETIONS_REACHED)
        ]
        job = self._write_status(job, status)
        status = copy.deepcopy(job["status"])
        status["conditions"].append(self._condition("Complete", COMPLETIONS_REACHED))
        status["completionTime"] = self._now()
        self._write_status(job, status)
        self.registry.record_event(
            job, "Normal", "Completed", "Job completed", COMPONENT
        )

    def _fail(
        self, job: dict[str, Any], pods: list[dict[str, Any]], cause: tuple[str, str]
    ) -> None:
        """Write FailureTarget and delete the running pods; Failed follows."""
        status = copy.deepcopy(job["status"])
        killed = [pod for pod in pods if is_active(pod)]
        failed = sum(1 for pod in pods if pod["status"].get("phase") == "Failed")
        status["failed"] = failed + len(killed)
        status.pop("active", None)
        status["ready"] = 0
        status["conditions"] = [
            *(status.get("conditions") or []),
            self._condition("FailureTarget", cause),
        ]
        job = self._write_status(job, status)
        for pod in killed:
            metadata = pod["metadata"]
            try:
                self.registry.delete(PODS, metadata["namespace"], metadata["name"])
            except ApiError as error:
                logger.debug(
                    "Deleting pod %s failed: %s", metadata["name"], error.message
                )
        self.registry.record_event(job, "Warning", cause[0], cause[1], COMPONENT)
        self._finish_failure(job, self._pods(job))

    def _finish_failure(self, job: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        """Write Failed once no pod of the Job is running or terminating."""
        if any(
            is_active(pod) or "deletionTimestamp" in pod["metadata"] for pod in pods
        ):
            return
        target = job_condition(job, "FailureTarget")
        assert target is not None
        status = copy.deepcopy(job["status"])
        cause = (target["reason"], target["message"])
        status["conditions"].append(self._condition("Failed", cause))
        self._write_status(job, status)

    def _condition(self, condition_type: str, cause: tuple[str, str]) -> dict[str, Any]:
        now = self._now()
        return {
            "type": condition_type,
            "status": "True",
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": cause[0],
            "message": cause[1],
        }

    def _write_status(
        self, job: dict[str, Any], status: dict[str, Any]
    ) -> dict[str, Any]:
        if status == job.get("status"):
            return job
        updated = copy.deepcopy(job)
        updated["status"] = status
        return self.registry.update(JOBS, updated, job)
