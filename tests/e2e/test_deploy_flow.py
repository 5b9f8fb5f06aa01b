"""A successful build is deployed with A-B switching, through both simulators."""

from __future__ import annotations

import pytest

from k8s.manifests import SHA_LABEL, UNSELECTED_AT_ANNOTATION
from tests.e2e.helpers import (
    OWNER,
    REPO,
    build_and_deploy,
    create_repository,
    deploy_states,
    releases,
    selected_release,
    service,
    settle,
)


async def test_build_success_is_deployed(stack):
    sha = create_repository(stack)

    result = await build_and_deploy(stack, sha)

    assert result["state"] == "success"
    assert deploy_states(stack, sha) == ["pending", "success"]
    release = selected_release(stack)
    assert releases(stack)[release]["metadata"]["labels"][SHA_LABEL] == sha
    pods = stack.cluster.store.list(
        "pods", "cite-octo-org", label_selector=f"cite.dev/release={release}"
    )
    assert len(pods) == 2
    deployments = stack.github.deployments(OWNER, REPO)
    assert len(deployments) == 1
    assert deployments[0]["sha"] == sha
    assert deployments[0]["environment"] == "production"
    assert deployments[0]["payload"]["cite"]["branch"] == "main"
    states = [
        status["state"]
        for status in stack.github.deployment_statuses(
            OWNER, REPO, deployments[0]["id"]
        )
    ]
    assert states[0] == "in_progress"
    assert states[-1] == "success"
    last = stack.github.deployment_statuses(OWNER, REPO, deployments[0]["id"])[-1]
    assert last["environment_url"].startswith("http://hello-world--main.cite-octo-org")


async def test_service_records_repository_and_branch(stack):
    sha = create_repository(stack)
    await build_and_deploy(stack, sha)

    metadata = service(stack)["metadata"]
    assert metadata["annotations"]["cite.dev/repository"] == f"{OWNER}/{REPO}"
    assert metadata["annotations"]["cite.dev/branch"] == "main"
    assert metadata["labels"]["app.kubernetes.io/managed-by"] == "cite"


async def test_second_deploy_switches_and_keeps_previous(stack):
    first = create_repository(stack)
    await build_and_deploy(stack, first)
    previous = selected_release(stack)

    second = await stack.github.push(
        OWNER, REPO, "main", {"app.py": "print('v2')\n"}, "Ship v2 🚀"
    )
    result = await build_and_deploy(stack, second)

    assert result["state"] == "success"
    current = selected_release(stack)
    assert current != previous
    assert releases(stack)[current]["metadata"]["labels"][SHA_LABEL] == second
    kept = releases(stack)[previous]
    assert UNSELECTED_AT_ANNOTATION in kept["metadata"]["annotations"]
    assert UNSELECTED_AT_ANNOTATION not in (
        releases(stack)[current]["metadata"].get("annotations") or {}
    )
    await settle(stack)
    first_deployment, second_deployment = stack.github.deployments(OWNER, REPO)
    first_statuses = stack.github.deployment_statuses(
        OWNER, REPO, first_deployment["id"]
    )
    assert first_statuses[-1]["state"] == "inactive"
    assert (
        f"Replaced by deployment #{second_deployment['id']}"
        in (first_statuses[-1]["description"])
    )
    selector = service(stack)["spec"]["selector"]
    assert selector == {
        "cite.dev/service": "hello-world--main",
        "cite.dev/release": current,
    }


@pytest.mark.parametrize(
    ("state", "context"),
    [
        ("failure", "cite/build"),
        ("pending", "cite/build"),
        ("error", "cite/build"),
        ("success", "ci/lint"),
    ],
)
async def test_other_statuses_are_not_deployed(stack, state, context):
    sha = create_repository(stack)

    await stack.github.create_status(OWNER, REPO, sha, state, context=context)
    await settle(stack)

    assert stack.github.deployments(OWNER, REPO) == []
    assert deploy_states(stack, sha) == []


async def test_branch_without_auto_deploy_is_not_deployed(stack):
    create_repository(stack)
    sha = await stack.github.push(OWNER, REPO, "feature/x", {"a.txt": "a"}, "Try x")

    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)

    assert stack.github.deployments(OWNER, REPO) == []


async def test_commit_that_heads_no_branch_is_not_deployed(stack):
    old = create_repository(stack)
    await stack.github.push(
        OWNER, REPO, "main", {"a.txt": "a"}, "Move main on [skip ci]"
    )

    await stack.github.create_status(OWNER, REPO, old, "success", context="cite/build")
    await settle(stack)

    assert stack.github.deployments(OWNER, REPO) == []


async def test_configured_branches_and_context(stack):
    config = (
        "build_context: ci/image\n"
        "deploy:\n  main: production\n  release/*: staging\n"
        'image: "registry.example/{owner}/{repo}:{sha}"\n'
    )
    create_repository(stack, config=config)
    sha = await stack.github.push(OWNER, REPO, "release/1.2", {"a": "1"}, "Cut 1.2")

    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)
    assert stack.github.deployments(OWNER, REPO) == []

    result = await build_and_deploy(stack, sha, context="ci/image")
    assert result["state"] == "success"
    deployment = stack.github.deployments(OWNER, REPO)[0]
    assert deployment["environment"] == "staging"
    release = selected_release(stack, "release/1.2")
    container = releases(stack)[release]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"registry.example/{OWNER}/{REPO}:{sha}"


async def test_repository_without_config_is_ignored(stack):
    sha = create_repository(stack, config=None)

    await stack.github.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await settle(stack)

    assert stack.github.deployments(OWNER, REPO) == []
    assert stack.github.statuses(OWNER, REPO, sha)[-1]["context"] == "cite/build"
    assert len(stack.github.statuses(OWNER, REPO, sha)) == 1


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("prot: 8080\n", "prot: unknown key"),
        ("replicas: 50\n", "replicas: 50 is above the limit of 20"),
        ("resources:\n  memory: 64Gi\n", "resources.memory: 64Gi is above"),
        ("port: eighty\n", "port: expected a whole number"),
    ],
)
async def test_invalid_config_fails_naming_key(stack, config, named):
    sha = create_repository(stack, config=config)

    result = await build_and_deploy(stack, sha)

    assert result["state"] == "failure"
    assert named in result["description"]
    assert stack.github.deployments(OWNER, REPO) == []


async def test_long_branch_name_deploys_to_valid_service(stack):
    config = "deploy:\n  'feature/*': preview\n"
    create_repository(stack, config=config)
    branch = "feature/" + "Very_Long-Name" * 6

    sha = await stack.github.push(OWNER, REPO, branch, {"a": "1"}, "Long one")
    result = await build_and_deploy(stack, sha)

    assert result["state"] == "success"
    name = service(stack, branch)["metadata"]["name"]
    assert len(name) <= 63
    assert name.startswith("hello-world--feature-very-long-name")


async def test_no_secret_in_logs(stack, caplog, app_key):
    caplog.set_level("DEBUG")
    sha = create_repository(stack)

    await build_and_deploy(stack, sha)
    await settle(stack)

    text = caplog.text
    assert "Service hello-world--main now selects" in text
    assert stack.settings.github_webhook_secret.get_secret_value() not in text
    assert "PRIVATE KEY" not in text
    assert "ghs_" not in text
    token_requests = [r for r in stack.github.requests if "access_tokens" in r.path]
    assert token_requests
    for record in token_requests:
        assert record.response["token"] not in text
