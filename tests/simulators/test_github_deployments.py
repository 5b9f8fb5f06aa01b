"""Tests of the GitHub simulator's deployments and deployment statuses."""

from __future__ import annotations

import json

import gidgethub
import pytest

from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import OWNER, REPO, repo_path


async def deploy(gh, **body):
    body.setdefault("ref", "main")
    body.setdefault("required_contexts", [])
    return await gh.post(repo_path("/deployments"), data=body)


async def test_deployment_created_with_defaults(sim, gh, repository):
    created = await gh.post(repo_path("/deployments"), data={"ref": "main"})
    assert created["sha"] == repository.head()
    assert created["ref"] == "main"
    assert created["environment"] == "production"
    assert created["production_environment"] is True
    assert created["transient_environment"] is False
    assert created["task"] == "deploy"
    assert created["payload"] == {}
    assert created["creator"]["login"] == "cite[bot]"
    assert created["creator"]["type"] == "Bot"
    assert sim.requests[-1].status == 201
    assert sim.deployments(OWNER, REPO) == [created]


async def test_deployment_payload_object_and_string(gh, repository):
    as_object = await deploy(gh, payload={"release": "blue", "n": 1})
    as_string = await deploy(gh, payload=json.dumps({"release": "green"}))
    assert as_object["payload"] == {"release": "blue", "n": 1}
    assert as_string["payload"] == {"release": "green"}


async def test_deployment_fields_stored(gh, repository):
    created = await deploy(
        gh,
        environment="pr-7",
        description="Preview of #7",
        transient_environment=True,
        task="deploy:preview",
    )
    assert created["environment"] == "pr-7"
    assert created["original_environment"] == "pr-7"
    assert created["production_environment"] is False
    assert created["transient_environment"] is True
    assert created["description"] == "Preview of #7"
    assert created["task"] == "deploy:preview"
    fetched = await gh.getitem(repo_path(f"/deployments/{created['id']}"))
    assert fetched == created


async def test_deployment_unknown_ref_is_422(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await deploy(gh, ref="no-such-branch")
    assert raised.value.status_code == 422
    assert sim.requests[-1].response["message"] == "No ref found for: no-such-branch"
    assert sim.deployments(OWNER, REPO) == []


async def test_deployment_by_sha_and_tag(sim, gh, repository):
    sha = repository.head()
    sim.add_tag(OWNER, REPO, "v1.0.0", "main")
    by_sha = await deploy(gh, ref=sha[:7])
    by_tag = await deploy(gh, ref="v1.0.0")
    assert by_sha["sha"] == sha
    assert by_tag["sha"] == sha


async def test_auto_merge_behind_branch_is_202(sim, gh, repository):
    topic = await sim.push(OWNER, REPO, "topic", {"topic.txt": "t"}, "Topic work")
    await sim.push(OWNER, REPO, "main", {"main.txt": "m"}, "Main work")
    answer = await gh.post(
        repo_path("/deployments"), data={"ref": "topic", "required_contexts": []}
    )
    assert answer == {"message": "Auto-merged main into topic on deployment."}
    assert sim.requests[-1].status == 202
    assert sim.deployments(OWNER, REPO) == []
    merged = repository.branches["topic"]
    assert repository.commits[merged].parents == [topic, repository.head()]
    assert set(repository.commits[merged].files) >= {"topic.txt", "main.txt"}
    retried = await gh.post(
        repo_path("/deployments"), data={"ref": "topic", "required_contexts": []}
    )
    assert retried["sha"] == merged


async def test_auto_merge_false_deploys_behind_branch(sim, gh, repository):
    topic = await sim.push(OWNER, REPO, "topic", {"topic.txt": "t"}, "Topic work")
    await sim.push(OWNER, REPO, "main", {"main.txt": "m"}, "Main work")
    created = await deploy(gh, ref="topic", auto_merge=False)
    assert created["sha"] == topic


async def test_auto_merge_conflict_is_409(sim, gh, repository):
    await sim.push(OWNER, REPO, "topic", {"README.md": "topic\n"}, "Edit on topic")
    await sim.push(OWNER, REPO, "main", {"README.md": "main\n"}, "Edit on main")
    with pytest.raises(gidgethub.BadRequest) as raised:
        await deploy(gh, ref="topic")
    assert raised.value.status_code == 409
    assert sim.requests[-1].response["message"] == "Conflict merging main into topic."


async def test_required_contexts_default_all_409(sim, gh, repository):
    sha = repository.head()
    await sim.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await sim.create_status(OWNER, REPO, sha, "pending", context="ci/lint")
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(repo_path("/deployments"), data={"ref": "main"})
    assert raised.value.status_code == 409
    assert sim.requests[-1].response == {
        "message": "Conflict: Commit status checks failed for main.",
        "errors": [
            {
                "contexts": [{"context": "ci/lint", "state": "pending"}],
                "resource": "Deployment",
                "field": "required_contexts",
            }
        ],
        "documentation_url": "https://docs.github.com/rest",
    }


async def test_required_contexts_subset_passes(sim, gh, repository):
    sha = repository.head()
    await sim.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await sim.create_status(OWNER, REPO, sha, "failure", context="ci/lint")
    created = await deploy(gh, required_contexts=["cite/build"])
    assert created["sha"] == sha


async def test_required_contexts_empty_skips_checks(sim, gh, repository):
    sha = repository.head()
    await sim.create_status(OWNER, REPO, sha, "failure", context="ci/lint")
    created = await deploy(gh, required_contexts=[])
    assert created["sha"] == sha


async def test_required_context_without_status_is_409(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await deploy(gh, required_contexts=["cite/build"])
    assert raised.value.status_code == 409


async def test_list_deployments_filters(gh, repository):
    first = await deploy(gh, environment="staging")
    second = await deploy(gh, environment="production", task="deploy:migrations")
    everything = await gh.getitem(repo_path("/deployments"))
    assert [d["id"] for d in everything] == [second["id"], first["id"]]
    staging = await gh.getitem(repo_path("/deployments?environment=staging"))
    assert [d["id"] for d in staging] == [first["id"]]
    by_task = await gh.getitem(repo_path("/deployments?task=deploy:migrations"))
    assert [d["id"] for d in by_task] == [second["id"]]
    by_sha = await gh.getitem(repo_path(f"/deployments?sha={first['sha']}&ref=main"))
    assert len(by_sha) == 2
    assert await gh.getitem(repo_path("/deployments?ref=other")) == []


async def test_deployment_status_fields(sim, gh, repository):
    deployment = await deploy(gh, environment="staging")
    status = await gh.post(
        repo_path(f"/deployments/{deployment['id']}/statuses"),
        data={
            "state": "success",
            "log_url": "https://ci.example.com/log/1",
            "environment_url": "https://staging.example.com/",
            "description": "Deployed ✔",
        },
    )
    assert status["state"] == "success"
    assert status["log_url"] == "https://ci.example.com/log/1"
    assert status["target_url"] == "https://ci.example.com/log/1"
    assert status["environment_url"] == "https://staging.example.com/"
    assert status["environment"] == "staging"
    assert status["creator"]["login"] == "cite[bot]"
    assert sim.deployment_statuses(OWNER, REPO, deployment["id"]) == [status]


async def test_deployment_status_description_too_long(sim, gh, repository):
    deployment = await deploy(gh)
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(
            repo_path(f"/deployments/{deployment['id']}/statuses"),
            data={"state": "success", "description": "d" * 141},
        )
    assert raised.value.status_code == 422
    assert sim.requests[-1].response["errors"][0]["field"] == "description"


async def test_deployment_status_unknown_deployment_404(gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(
            repo_path("/deployments/999999/statuses"), data={"state": "success"}
        )
    assert raised.value.status_code == 404


async def succeed(gh, deployment):
    return await gh.post(
        repo_path(f"/deployments/{deployment['id']}/statuses"),
        data={"state": "success"},
    )


def states(sim, deployment) -> list[str]:
    return [s["state"] for s in sim.deployment_statuses(OWNER, REPO, deployment["id"])]


async def test_auto_inactive_for_non_production(sim, gh, repository):
    old = await deploy(gh, environment="staging")
    await succeed(gh, old)
    other_env = await deploy(gh, environment="qa")
    await succeed(gh, other_env)
    new = await deploy(gh, environment="staging")
    await succeed(gh, new)
    assert states(sim, old) == ["success", "inactive"]
    assert states(sim, other_env) == ["success"]
    assert states(sim, new) == ["success"]


async def test_auto_inactive_not_for_production(sim, gh, repository):
    old = await deploy(gh, environment="production")
    await succeed(gh, old)
    new = await deploy(gh, environment="production")
    await succeed(gh, new)
    assert states(sim, old) == ["success"]


async def test_auto_inactive_not_for_transient(sim, gh, repository):
    old = await deploy(gh, environment="pr-3", transient_environment=True)
    await succeed(gh, old)
    new = await deploy(gh, environment="pr-3", transient_environment=True)
    await succeed(gh, new)
    assert states(sim, old) == ["success"]


async def test_auto_inactive_false_keeps_old_active(sim, gh, repository):
    old = await deploy(gh, environment="staging")
    await succeed(gh, old)
    new = await deploy(gh, environment="staging")
    await gh.post(
        repo_path(f"/deployments/{new['id']}/statuses"),
        data={"state": "success", "auto_inactive": False},
    )
    assert states(sim, old) == ["success"]


async def test_deployment_statuses_listed_newest_first(gh, repository):
    deployment = await deploy(gh)
    url = repo_path(f"/deployments/{deployment['id']}/statuses")
    for state in ("queued", "in_progress", "success"):
        await gh.post(url, data={"state": state})
    listed = await gh.getitem(url)
    assert [s["state"] for s in listed] == ["success", "in_progress", "queued"]
