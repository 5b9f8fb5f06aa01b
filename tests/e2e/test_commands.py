"""Slash commands on pull requests, through both simulators."""

from __future__ import annotations

import pytest

from tests.e2e.commands import (
    CONFIG,
    command,
    live_sha,
    open_pull_request,
    preview_service,
    reply,
)
from tests.e2e.helpers import NAMESPACE, OWNER, REPO, settle


async def test_deploy_creates_preview(stack):
    number, sha = await open_pull_request(stack)

    text = await command(stack, number, "/deploy", until="✅")

    assert f"is live in pr-{number}" in text
    assert live_sha(stack, preview_service(number)) == sha
    deployment = stack.github.deployments(OWNER, REPO)[-1]
    assert deployment["environment"] == f"pr-{number}"
    assert deployment["transient_environment"] is True
    assert deployment["sha"] == sha
    comments = stack.github.comments(OWNER, REPO, number)
    assert comments[0]["reactions"]["+1"] == 1
    assert len([c for c in comments if "cite:reply" in c["body"]]) == 1


@pytest.mark.parametrize("user", ["ada", "max", "wes"])
async def test_writers_may_deploy(stack, user):
    number, _sha = await open_pull_request(stack)

    text = await command(stack, number, "/deploy", user=user, until="✅")

    assert "is live in" in text


@pytest.mark.parametrize(
    ("user", "access"), [("tia", "triage"), ("rea", "read"), ("eve", "none")]
)
async def test_others_are_refused(stack, user, access):
    number, _sha = await open_pull_request(stack)
    deployments = len(stack.github.deployments(OWNER, REPO))

    text = await command(stack, number, "/deploy", user=user)

    assert "commands need write, maintain or admin access" in text
    assert f"your access is {access}" in text
    assert len(stack.github.deployments(OWNER, REPO)) == deployments


async def test_failed_permission_check_refuses(stack):
    # Without the metadata permission GitHub rejects the permission check with 403.
    permissions = {
        "contents": "read",
        "statuses": "write",
        "deployments": "write",
        "issues": "write",
        "pull_requests": "read",
    }
    number, _sha = await open_pull_request(stack, permissions=permissions)

    text = await command(stack, number, "/deploy", user="ada")

    assert "I could not check @ada's access" in text
    assert "so I did nothing" in text
    assert stack.github.deployments(OWNER, REPO) == []


async def test_crlf_body_and_spaces(stack):
    number, sha = await open_pull_request(stack)

    await command(
        stack, number, "Looks good.\r\n  /deploy   \r\nThanks\r\n", until="✅"
    )

    assert live_sha(stack, preview_service(number)) == sha


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/shipit", "`/shipit` is not a command I know"),
        ("/scale lots", "Usage: `/scale N | /scale cpu=500m memory=1Gi`"),
        ("/deploy a b", "/deploy takes at most one environment"),
        ("/help", "- `/rollback [environment] [sha or deployment id]`"),
    ],
)
async def test_unknown_and_wrong_commands_answered(stack, body, expected):
    number, _sha = await open_pull_request(stack)

    text = await command(stack, number, body)

    assert expected in text


async def test_quoted_command_ignored(stack):
    number, _sha = await open_pull_request(stack)
    comment_id = await stack.github.comment(
        OWNER, REPO, number, "Try this:\n```\n/deploy\n```\n", user="wes"
    )
    await settle(stack)

    assert reply(stack, number, comment_id) is None
    assert stack.github.deployments(OWNER, REPO) == []


async def test_deploy_waits_for_running_build(stack):
    number, sha = await open_pull_request(stack, built=False)

    text = await command(stack, number, "/deploy", until="cite/build")
    assert f"Waiting for cite/build to succeed on {sha[:7]}" in text or (
        "is still building" in text
    )
    newer = await stack.github.push(OWNER, REPO, "feature/x", {"b": "2"}, "More work")
    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)

    assert live_sha(stack, preview_service(number)) == sha
    assert newer != sha
    (comment,) = [
        c
        for c in stack.github.comments(OWNER, REPO, number)
        if "cite:reply" in c["body"]
    ]
    assert "✅" in comment["body"]


async def test_deploy_refused_after_failed_build(stack):
    number, sha = await open_pull_request(stack, built=False)
    await stack.github.create_status(
        OWNER, REPO, sha, "failure", context="cite/build", description="tests failed"
    )

    text = await command(stack, number, "/deploy")

    assert "The build of" in text
    assert "tests failed" in text
    assert stack.github.deployments(OWNER, REPO) == []


async def test_build_failing_after_deploy_command(stack):
    number, sha = await open_pull_request(stack, built=False)
    await command(stack, number, "/deploy", until="cite/build")

    await stack.github.create_status(
        OWNER, REPO, sha, "failure", context="cite/build", description="compile error"
    )
    await settle(stack)

    deployment = stack.github.deployments(OWNER, REPO)[-1]
    states = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
    assert states[-1]["state"] == "failure"
    assert "compile error" in states[-1]["description"]
    assert (
        stack.cluster.store.get("services", NAMESPACE, preview_service(number)) is None
    )


async def test_fork_pull_request_deployed_on_command(stack):
    number, sha = await open_pull_request(stack, fork_owner="outsider")

    refused = await command(stack, number, "/deploy", user="rea")
    assert "your access is read" in refused
    text = await command(stack, number, "/deploy", user="wes", until="✅")

    assert "is live in" in text
    assert live_sha(stack, preview_service(number)) == sha


async def test_environment_deploy_needs_config(stack):
    number, _sha = await open_pull_request(stack)

    text = await command(stack, number, "/deploy production")

    assert "Pull requests cannot deploy to `production`" in text
    assert "`staging`" in text


async def test_lock_blocks_other_pull_requests(stack):
    first, _sha = await open_pull_request(stack, "feature/a")
    second, second_sha = await open_pull_request(stack, "feature/b")

    locked = await command(stack, first, "/lock staging QA of the login page")
    refused = await command(stack, second, "/deploy staging")
    await command(stack, first, "/unlock staging")
    deployed = await command(stack, second, "/deploy staging", until="✅")

    assert "`staging` is locked for #1: QA of the login page" in locked
    assert f"locked by #{first} (@wes): QA of the login page" in refused
    assert "is live in staging" in deployed
    assert live_sha(stack, "hello-world--develop") == second_sha


async def test_rollback_switches_back(stack):
    number, first_sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")
    second_sha = await stack.github.push(OWNER, REPO, "feature/x", {"b": "2"}, "v2")
    await stack.github.create_status(
        OWNER, REPO, second_sha, "success", context="cite/build"
    )
    await command(stack, number, "/deploy", until="✅")
    assert live_sha(stack, preview_service(number)) == second_sha
    pods_before = {
        p["metadata"]["name"] for p in stack.cluster.store.list("pods", NAMESPACE)
    }

    text = await command(stack, number, "/rollback", until="✅")

    assert f"-{first_sha[:7]}-" in text
    assert f"is live in pr-{number}" in text
    assert live_sha(stack, preview_service(number)) == first_sha
    pods_after = {
        p["metadata"]["name"] for p in stack.cluster.store.list("pods", NAMESPACE)
    }
    assert pods_after == pods_before


async def test_rollback_to_named_sha(stack):
    number, first_sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")
    second_sha = await stack.github.push(OWNER, REPO, "feature/x", {"b": "2"}, "v2")
    await stack.github.create_status(
        OWNER, REPO, second_sha, "success", context="cite/build"
    )
    await command(stack, number, "/deploy", until="✅")

    await command(stack, number, f"/rollback pr-{number} {first_sha[:8]}", until="✅")

    assert live_sha(stack, preview_service(number)) == first_sha


async def test_rollback_without_history_refused(stack):
    number, _sha = await open_pull_request(stack)

    text = await command(stack, number, "/rollback")

    assert "has no earlier release to roll back to" in text


async def test_scale_pods_and_resources(stack):
    number, sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")
    service = preview_service(number)

    await command(stack, number, "/scale 3", until="✅")
    release = stack.cluster.store.get("services", NAMESPACE, service)["spec"][
        "selector"
    ]["cite.dev/release"]
    assert (
        stack.cluster.store.get("deployments", NAMESPACE, release)["spec"]["replicas"]
        == 3
    )

    await command(stack, number, "/scale cpu=500m memory=512Mi", until="✅")
    selected = stack.cluster.store.get("services", NAMESPACE, service)["spec"][
        "selector"
    ]
    new_release = stack.cluster.store.get(
        "deployments", NAMESPACE, selected["cite.dev/release"]
    )
    container = new_release["spec"]["template"]["spec"]["containers"][0]
    assert new_release["metadata"]["name"] != release
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi"}
    assert new_release["spec"]["replicas"] == 3
    assert live_sha(stack, service) == sha


async def test_scale_above_limit_refused(stack):
    number, _sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")

    text = await command(stack, number, "/scale 50")

    assert "replicas: 50 is above the limit of 20 pods" in text


async def test_status_describes_environments(stack):
    number, sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")

    text = await command(stack, number, "/status")

    assert f"**`pr-{number}`**" in text
    assert f"at {sha[:7]}, 2/2 pods Ready" in text


async def test_close_removes_preview(stack):
    number, _sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")
    await command(stack, number, "/lock staging demo")

    await stack.github.close_pull_request(OWNER, REPO, number, merged=True)
    await settle(stack)

    assert (
        stack.cluster.store.get("services", NAMESPACE, preview_service(number)) is None
    )
    assert (
        stack.cluster.store.list(
            "deployments",
            NAMESPACE,
            label_selector=f"cite.dev/service={preview_service(number)}",
        )
        == []
    )
    for deployment in stack.github.deployments(OWNER, REPO):
        states = stack.github.deployment_statuses(OWNER, REPO, deployment["id"])
        assert states[-1]["state"] == "inactive"
    assert (
        stack.cluster.store.list(
            "leases", NAMESPACE, label_selector="cite.dev/lock=environment"
        )
        == []
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/rollback production", "Pull requests cannot deploy to `production`"),
        ("/rollback pr-99", "`pr-99` is another pull request's preview environment"),
        ("/lock production", "Pull requests cannot deploy to `production`"),
        ("/deploy pr-99", "`pr-99` is another pull request's preview environment"),
    ],
)
async def test_environment_rules_apply_to_every_command(stack, body, expected):
    number, _sha = await open_pull_request(stack)
    deployments = len(stack.github.deployments(OWNER, REPO))

    text = await command(stack, number, body)

    assert expected in text
    assert len(stack.github.deployments(OWNER, REPO)) == deployments


async def test_locks_belong_to_one_repository(stack):
    number, _sha = await open_pull_request(stack)
    await command(stack, number, "/lock staging demo")
    stack.github.add_repository(
        OWNER, "other", files={".github/cite.yml": CONFIG.replace("replicas: 2", "")}
    )
    stack.github.add_collaborator(OWNER, "other", "wes", "write")
    sha = await stack.github.push(OWNER, "other", "feature/y", {"a": "1"}, "Other")
    other = stack.github.open_pull_request(OWNER, "other", "feature/y")
    await stack.github.create_status(
        OWNER, "other", sha, "success", context="cite/build"
    )
    await settle(stack)

    comment_id = await stack.github.comment(
        OWNER, "other", other, "/deploy staging", user="wes"
    )
    text = await stack.github.wait_for(
        lambda g: next(
            (
                c["body"]
                for c in g.comments(OWNER, "other", other)
                if f"cite:reply:{comment_id}" in c["body"] and "✅" in c["body"]
            ),
            None,
        )
    )

    assert "is live in staging" in text


async def test_reply_keeps_every_outcome(stack):
    number, _sha = await open_pull_request(stack)

    text = await command(
        stack,
        number,
        "/deploy\n/deploy staging\n" + "/status\n" * 5,
        until="is live in staging",
    )
    await settle(stack)
    (reply_body,) = [
        c["body"]
        for c in stack.github.comments(OWNER, REPO, number)
        if "cite:reply" in c["body"]
    ]

    assert "is live in staging" in text
    assert f"is live in pr-{number}" in reply_body
    assert "is live in staging" in reply_body
    assert "⏳" not in reply_body


async def test_commands_per_comment_capped(stack):
    number, _sha = await open_pull_request(stack)

    text = await command(stack, number, "/help\n" * 12)

    assert text.count("Cite's commands on pull requests") == 10
    assert "Only the first 10 commands of a comment run" in text


async def test_failed_scale_not_kept(stack):
    number, _sha = await open_pull_request(stack)
    await command(stack, number, "/deploy", until="✅")

    failed = await command(stack, number, "/scale cpu=2000m", until="❌")
    assert "unschedulable" in failed
    newer = await stack.github.push(OWNER, REPO, "feature/x", {"c": "3"}, "v3")
    await stack.github.create_status(
        OWNER, REPO, newer, "success", context="cite/build"
    )
    deployed = await command(stack, number, "/deploy", until="✅")

    assert "is live in" in deployed
    assert live_sha(stack, preview_service(number)) == newer
    service = stack.cluster.store.get("services", NAMESPACE, preview_service(number))
    assert "cite.dev/override-cpu" not in service["metadata"]["annotations"]


async def test_unbuilt_commit_refused(stack):
    stack.github.add_installation(OWNER)
    stack.github.add_repository(OWNER, REPO, files={".github/cite.yml": "port: 8080\n"})
    stack.github.add_collaborator(OWNER, REPO, "wes", "write")
    await stack.github.push(OWNER, REPO, "feature/x", {"a": "1"}, "Try [skip ci]")
    number = stack.github.open_pull_request(OWNER, REPO, "feature/x")
    await settle(stack)

    text = await command(stack, number, "/deploy")

    assert "has no build and none is running" in text
    assert stack.github.deployments(OWNER, REPO) == []


async def test_fork_push_after_comment_refused(stack):
    number, _sha = await open_pull_request(stack, fork_owner="outsider")
    url, stack.github.webhook_url = stack.github.webhook_url, None
    comment_id = await stack.github.comment(OWNER, REPO, number, "/deploy", user="wes")
    await settle(stack)
    stack.github.webhook_url = url
    delivery = next(d for d in stack.github.deliveries if d.event == "issue_comment")
    payload = dict(delivery.payload)
    payload["comment"] = {**payload["comment"], "created_at": "2020-01-01T00:00:00Z"}

    await stack.github.deliver("issue_comment", payload)
    await settle(stack)

    text = reply(stack, number, comment_id)
    assert text is not None
    assert "The fork received a push after this comment was written" in text
    assert stack.github.deployments(OWNER, REPO) == []
