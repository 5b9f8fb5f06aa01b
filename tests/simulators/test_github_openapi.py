"""Tests that the GitHub simulator checks requests against GitHub's OpenAPI
description and sends responses that conform to it."""

from __future__ import annotations

import gidgethub
import pytest

from simulators.github.openapi import description
from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import OWNER, REPO, repo_path


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/statuses/{sha}",
            {"context": "ci"},
            'Invalid request.\n\n"state" wasn\'t supplied.',
        ),
        (
            "/statuses/{sha}",
            {"state": "success", "description": 5},
            "Invalid request.\n\nFor 'properties/description', 5 is not a string.",
        ),
        (
            "/deployments",
            {"ref": "main", "auto_merge": "false"},
            "Invalid request.\n\nFor 'properties/auto_merge', \"false\" is not"
            " a boolean.",
        ),
        (
            "/deployments",
            {"ref": "main", "required_contexts": "cite/build"},
            "Invalid request.\n\nFor 'properties/required_contexts', \"cite/build\""
            " is not an array.",
        ),
        ("/deployments", {"environment": "qa"}, None),
        ("/deployments", {"ref": "main", "payload": 5}, None),
        ("/deployments/{deployment}/statuses", {"state": "done"}, None),
    ],
    ids=[
        "status-missing-state",
        "status-description-type",
        "deployment-boolean-as-string",
        "deployment-contexts-not-array",
        "deployment-missing-ref",
        "deployment-payload-number",
        "deployment-status-bad-state",
    ],
)
async def test_body_against_description_is_422(
    sim, gh, repository, path, body, message
):
    deployment = await gh.post(
        repo_path("/deployments"), data={"ref": "main", "required_contexts": []}
    )
    url = repo_path(path.format(sha=repository.head(), deployment=deployment["id"]))
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(url, data=body)
    assert raised.value.status_code == 422
    answer = sim.requests[-1].response
    assert answer["message"].startswith("Invalid request.\n\n")
    if message is not None:
        assert answer["message"] == message
    assert len(sim.deployments(OWNER, REPO)) == 1


async def test_body_not_json_is_400(sim, session, server_url, token, repository):
    async with session.post(
        server_url + repo_path("/deployments"),
        data=b"{not json",
        headers={"Authorization": f"token {token}"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["message"] == "Problems parsing JSON"


async def test_query_of_wrong_type_is_422(gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/deployments?per_page=many"))
    assert raised.value.status_code == 422


async def exercise_api(sim, gh, repository) -> None:
    """Call every described endpoint once or more, successes and failures."""
    sha = repository.head()
    await sim.create_status(OWNER, REPO, sha, "success", context="cite/build")
    await gh.post(repo_path(f"/statuses/{sha}"), data={"state": "pending"})
    await gh.post(
        repo_path(f"/statuses/{sha}"),
        data={"state": "success", "description": "ok", "target_url": "https://x.io"},
    )
    await gh.getitem(repo_path("/commits/main/status"))
    await gh.getitem(repo_path("/contents/README.md"))
    await gh.getitem(repo_path("/contents/.github"))

    deployment = await gh.post(
        repo_path("/deployments"),
        data={"ref": "main", "required_contexts": ["cite/build"], "payload": {"a": 1}},
    )
    await gh.getitem(repo_path("/deployments"))
    await gh.post(
        repo_path(f"/deployments/{deployment['id']}/statuses"),
        data={"state": "success", "log_url": "https://ci.example.com/1"},
    )
    await gh.getitem(repo_path(f"/deployments/{deployment['id']}/statuses"))

    sim.add_collaborator(OWNER, REPO, "mia", "maintain")
    await gh.getitem(repo_path("/collaborators/mia/permission"))

    await sim.push(OWNER, REPO, "topic", {"t": "1"}, "Topic")
    await sim.push(OWNER, REPO, "main", {"m": "1"}, "Main")
    await gh.post(
        repo_path("/deployments"), data={"ref": "topic", "required_contexts": []}
    )

    for failing in (
        gh.getitem(repo_path("/contents/missing")),
        gh.post(repo_path(f"/statuses/{sha}"), data={"state": "x"}),
        gh.post(repo_path("/deployments"), data={"ref": "nope"}),
        gh.post(
            repo_path(f"/deployments/{deployment['id']}/statuses"),
            data={"state": "success", "description": "d" * 141},
        ),
        gh.getitem(repo_path("/collaborators/nobody/permission")),
    ):
        with pytest.raises(gidgethub.BadRequest):
            await failing


async def test_responses_conform_to_description(sim, gh, repository):
    await exercise_api(sim, gh, repository)
    checked = 0
    for record in sim.requests:
        if description().operation(record.method, record.path) is None:
            continue
        errors = description().response_errors(
            record.method, record.path, record.status, record.response
        )
        assert errors == [], f"{record.method} {record.path} {record.status}"
        checked += 1
    assert checked >= 15


def test_response_check_can_fail():
    errors = description().response_errors(
        "POST", f"/repos/{OWNER}/{REPO}/deployments", 201, {"id": "one"}
    )
    assert errors != []


async def test_get_deployment_conforms_to_schema(sim, gh, repository):
    deployment = await gh.post(
        repo_path("/deployments"), data={"ref": "main", "required_contexts": []}
    )
    fetched = await gh.getitem(repo_path(f"/deployments/{deployment['id']}"))
    schema = {"$ref": "#/components/schemas/deployment"}
    validator = description().validator(
        {**schema, "components": description().document["components"]}
    )
    assert list(validator.iter_errors(fetched)) == []
