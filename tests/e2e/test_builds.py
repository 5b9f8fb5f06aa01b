"""A push is built in the cluster, reported as cite/build, and then deployed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
import pytest

from bot.app import CONTEXT
from bot.build_logs import link_key, log_link
from demo.stack import WEBHOOK_SECRET
from simulators.cluster import ClusterSettings
from simulators.github.state import ZERO_SHA
from tests.conftest import FAST_CLUSTER
from tests.e2e.helpers import (
    OWNER,
    REPO,
    create_repository,
    deploy_result,
    releases,
    selected_release,
    settle,
)

BUILD_NAMESPACE = "cite-builds"
BUILD_CONTEXT = "cite/build"
FINAL = ("success", "failure", "error")


def build_statuses(stack, sha: str) -> list[dict[str, Any]]:
    """Return the commit's cite/build statuses, oldest first."""
    return [
        status
        for status in stack.github.statuses(OWNER, REPO, sha)
        if status["context"] == BUILD_CONTEXT
    ]


def build_result(stack, sha: str) -> dict[str, Any] | None:
    """Return the commit's final cite/build status, if it has one."""
    finals = [s for s in build_statuses(stack, sha) if s["state"] in FINAL]
    return finals[-1] if finals else None


def build_pending(stack, sha: str) -> dict[str, Any] | None:
    pending = [s for s in build_statuses(stack, sha) if s["state"] == "pending"]
    return pending[-1] if pending else None


def jobs(stack) -> list[dict[str, Any]]:
    return stack.cluster.store.list("jobs", BUILD_NAMESPACE)


def job_of(stack, sha: str) -> dict[str, Any] | None:
    for job in jobs(stack):
        if job["metadata"]["labels"]["cite.dev/sha"] == sha:
            return job
    return None


async def push_and_build(stack, message: str = "Ship it", **kwargs) -> str:
    """Push a commit to main and wait for its final cite/build status."""
    sha = await stack.github.push(OWNER, REPO, "main", {"app.py": message}, message)
    await stack.github.wait_for(lambda github: build_result(stack, sha))
    return sha


async def test_push_is_built_then_deployed(stack):
    create_repository(stack)

    sha = await push_and_build(stack)
    deployed = await stack.github.wait_for(lambda github: deploy_result(stack, sha))
    await settle(stack)

    states = [status["state"] for status in build_statuses(stack, sha)]
    assert states == ["pending", "success"]
    result = build_result(stack, sha)
    assert result["description"].startswith("Built in ")
    assert result["target_url"].startswith(f"{stack.bot_url}/builds/{BUILD_NAMESPACE}/")
    assert deployed["state"] == "success"
    image = f"localhost:5000/{OWNER}/{REPO}:{sha}"
    container = releases(stack)[selected_release(stack)]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["image"] == image


async def test_build_job_spec(stack):
    create_repository(
        stack, config="build:\n  dockerfile: app.Dockerfile\n  context: web\n"
    )

    sha = await push_and_build(stack)
    await settle(stack)

    job = job_of(stack, sha)
    assert job is not None
    assert len(job["metadata"]["name"]) <= 63
    spec = job["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 1800
    container = spec["template"]["spec"]["containers"][0]
    host = stack.github_url.removeprefix("http://")
    assert container["args"] == [
        f"--context=git://{host}/{OWNER}/{REPO}.git#refs/heads/main#{sha}",
        "--dockerfile=app.Dockerfile",
        f"--destination=localhost:5000/{OWNER}/{REPO}:{sha}",
        "--context-sub-path=web",
    ]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    variables = {item["name"]: item for item in container["env"]}
    password = variables["GIT_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password["name"] == job["metadata"]["name"]
    assert variables["GIT_PULL_METHOD"]["value"] == "http"
    assert job_of(stack, sha)["status"]["succeeded"] == 1
    assert stack.cluster.store.list("secrets", BUILD_NAMESPACE) == []


async def test_failing_build_reports_log_end(stack):
    config = "build:\n  dockerfile: docker/fail-build.Dockerfile\n"
    create_repository(stack, config=config)

    sha = await push_and_build(stack)
    await settle(stack)

    result = build_result(stack, sha)
    assert result["state"] == "failure"
    assert result["description"].startswith("Build failed after ")
    assert result["description"].endswith("build: exited with code 1")
    assert len(result["description"]) <= 140
    assert deploy_result(stack, sha) is None
    assert stack.github.deployments(OWNER, REPO) == []


class TestSupersede:
    @pytest.fixture
    def cluster_settings(self) -> ClusterSettings:
        # Builds run long enough for a second push to arrive during the first.
        return ClusterSettings(**{**FAST_CLUSTER, "job_pod_run_delay": 1.0})

    async def test_newer_push_supersedes_build(self, stack):
        create_repository(stack)
        first = await stack.github.push(OWNER, REPO, "main", {"a": "1"}, "First")
        await stack.github.wait_for(lambda github: build_pending(stack, first))

        second = await stack.github.push(OWNER, REPO, "main", {"a": "2"}, "Second")
        superseded = await stack.github.wait_for(
            lambda github: build_result(stack, first)
        )
        await stack.github.wait_for(lambda github: deploy_result(stack, second))
        await settle(stack)

        assert superseded["state"] == "error"
        expected = f"Superseded by {second[:7]}, pushed later to main"
        assert superseded["description"] == expected
        assert job_of(stack, first) is None
        assert build_result(stack, second)["state"] == "success"
        deployments = stack.github.deployments(OWNER, REPO)
        assert [deployment["sha"] for deployment in deployments] == [second]


class TestDeadline:
    @pytest.fixture
    def cluster_settings(self) -> ClusterSettings:
        # The build never ends by itself; only the deadline ends it.
        return ClusterSettings(**{**FAST_CLUSTER, "job_pod_run_delay": 3600.0})

    async def test_build_past_deadline_fails(self, stack):
        create_repository(stack)
        sha = await stack.github.push(OWNER, REPO, "main", {"a": "1"}, "Slow one")
        await stack.github.wait_for(lambda github: build_pending(stack, sha))
        await stack.cluster.store.wait_for(
            lambda store: (job_of(stack, sha) or {}).get("status", {}).get("active")
        )

        stack.cluster.clock.advance(1801)
        result = await stack.github.wait_for(lambda github: build_result(stack, sha))
        await settle(stack)

        assert result["state"] == "failure"
        assert result["description"].startswith("Build timed out after 30 min 0 s")
        conditions = job_of(stack, sha)["status"]["conditions"]
        assert conditions[-1]["reason"] == "DeadlineExceeded"
        assert stack.github.deployments(OWNER, REPO) == []

    async def test_stopping_builder_reports_error(self, stack):
        create_repository(stack)
        sha = await stack.github.push(OWNER, REPO, "main", {"a": "1"}, "Slow one")
        await stack.github.wait_for(lambda github: build_pending(stack, sha))

        await stack.bot_app[CONTEXT].builder.stop()
        result = build_result(stack, sha)

        assert result["state"] == "error"
        assert result["description"].startswith("Cite stopped before this build")
        assert job_of(stack, sha) is None
        assert stack.cluster.store.list("secrets", BUILD_NAMESPACE) == []


def announce_tag_push(stack, tag: str) -> str:
    """Tag the default branch's head and send the push event GitHub sends."""
    repository = stack.github.repository(OWNER, REPO)
    sha = repository.head()
    repository.tags[tag] = sha
    payload = stack.github.payloads.push(
        repository,
        ref=f"refs/tags/{tag}",
        before=ZERO_SHA,
        after=sha,
        new_commits=[],
        sender=stack.github.account("octocat"),
    )
    stack.github.webhooks.announce("push", payload)
    return sha


@pytest.mark.parametrize(
    "message",
    [
        "Tweak docs [skip ci]",
        "[CI SKIP] tweak",
        "Tweak [no ci]",
        "Tweak [skip actions]",
        "Tweak [actions skip]",
        "Tweak docs\n\n\nskip-checks: true",
    ],
)
async def test_skip_ci_message_builds_nothing(stack, message):
    create_repository(stack)

    sha = await stack.github.push(OWNER, REPO, "main", {"a": "1"}, message)
    await settle(stack)

    assert build_statuses(stack, sha) == []
    assert jobs(stack) == []


async def test_deleted_branch_builds_nothing(stack):
    create_repository(stack, config="deploy:\n  main: production\n")
    await stack.github.push(OWNER, REPO, "topic", {"a": "1"}, "Try [skip ci]")
    await settle(stack)

    await stack.github.delete_branch(OWNER, REPO, "topic")
    await settle(stack)

    assert jobs(stack) == []
    assert stack.github.deliveries[-1].event == "push"


async def test_tag_push_builds_nothing_by_default(stack):
    create_repository(stack)

    sha = announce_tag_push(stack, "v1.0.0")
    await settle(stack)

    assert build_statuses(stack, sha) == []
    assert jobs(stack) == []


async def test_tag_push_builds_when_configured(stack):
    create_repository(stack, config="build:\n  tags: true\ndeploy: {}\n")

    sha = announce_tag_push(stack, "v1.0.0")
    await stack.github.wait_for(lambda github: build_result(stack, sha))
    await settle(stack)

    assert build_result(stack, sha)["state"] == "success"
    args = job_of(stack, sha)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[0].endswith(f".git#refs/tags/v1.0.0#{sha}")


async def test_image_template_repository_uses_own_ci(stack):
    config = 'image: "registry.example/{owner}/{repo}:{sha}"\n'
    create_repository(stack, config=config)
    sha = await stack.github.push(OWNER, REPO, "main", {"a": "1"}, "CI builds this")
    await settle(stack)
    assert jobs(stack) == []
    assert build_statuses(stack, sha) == []

    await stack.github.create_status(OWNER, REPO, sha, "success", context=BUILD_CONTEXT)
    result = await stack.github.wait_for(lambda github: deploy_result(stack, sha))
    await settle(stack)

    assert result["state"] == "success"
    assert jobs(stack) == []


async def test_token_appears_nowhere(stack, caplog):
    caplog.set_level("DEBUG")
    create_repository(stack)

    sha = await push_and_build(stack)
    await settle(stack)

    requests = [
        record
        for record in stack.github.requests
        if record.path.endswith("/access_tokens")
        and isinstance(record.json, dict)
        and "repositories" in record.json
    ]
    assert len(requests) == 1
    assert requests[0].json == {
        "repositories": [REPO],
        "permissions": {"contents": "read"},
    }
    token = requests[0].response["token"]
    encoded = base64.b64encode(token.encode()).decode()
    job = job_of(stack, sha)
    pods = stack.cluster.store.list("pods", BUILD_NAMESPACE)
    assert token not in json.dumps(job)
    assert token not in json.dumps(pods)
    assert token not in json.dumps(stack.github.statuses(OWNER, REPO, sha))
    assert token not in caplog.text
    assert encoded not in caplog.text
    async with aiohttp.ClientSession() as session:
        async with session.get(build_result(stack, sha)["target_url"]) as response:
            log = await response.text()
    assert log
    assert token not in log


async def test_log_page_checks_token(stack):
    create_repository(stack)
    sha = await push_and_build(stack)
    await settle(stack)
    link = build_result(stack, sha)["target_url"]
    job = job_of(stack, sha)["metadata"]["name"]
    key = link_key(WEBHOOK_SECRET)
    expired = log_link(stack.bot_url, key, BUILD_NAMESPACE, job, int(time.time()) - 1)
    forged = link.replace("token=", "token=0")
    other_job = log_link(stack.bot_url, key, BUILD_NAMESPACE, "other", 2**40)
    unsigned = f"{stack.bot_url}/builds/{BUILD_NAMESPACE}/{job}/log"

    async with aiohttp.ClientSession() as session:
        async with session.get(link) as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            text = await response.text()
        codes = {}
        for name, url in [
            ("expired", expired),
            ("forged", forged),
            ("unsigned", unsigned),
        ]:
            async with session.get(url) as response:
                codes[name] = (response.status, await response.text())
        async with session.get(other_job) as response:
            missing = response.status

    assert text.startswith("build: started from image ")
    assert text.rstrip().endswith("build: exited with code 0")
    for name, (status, body) in codes.items():
        assert status == 403, name
        assert "started from image" not in body, name
    assert missing == 404
