"""Tests of the GitHub simulator's commit statuses and contents endpoints."""

from __future__ import annotations

import base64

import gidgethub
import pytest

from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import CONFIG, OWNER, REPO, repo_path


async def test_status_created_and_listed(sim, gh, repository):
    sha = repository.head()
    created = await gh.post(
        repo_path(f"/statuses/{sha}"),
        data={
            "state": "pending",
            "context": "cite/deploy",
            "description": "Deploying 🚀",
            "target_url": "https://example.com/log",
        },
    )
    assert created["state"] == "pending"
    assert created["creator"]["login"] == "cite[bot]"
    assert created["creator"]["type"] == "Bot"
    listed = sim.statuses(OWNER, REPO, sha)
    assert [s["description"] for s in listed] == ["Deploying 🚀"]
    newest_first = await gh.getitem(repo_path(f"/commits/{sha}/statuses"))
    assert [s["id"] for s in newest_first] == [created["id"]]


async def test_status_context_defaults_to_default(gh, repository):
    created = await gh.post(
        repo_path(f"/statuses/{repository.head()}"), data={"state": "success"}
    )
    assert created["context"] == "default"
    assert created["description"] is None


async def test_status_description_141_chars_is_422(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(
            repo_path(f"/statuses/{repository.head()}"),
            data={"state": "success", "description": "x" * 141},
        )
    assert raised.value.status_code == 422
    assert sim.requests[-1].response == {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "Status",
                "code": "custom",
                "field": "description",
                "message": "description is too long (maximum is 140 characters)",
            }
        ],
        "documentation_url": "https://docs.github.com/rest",
    }
    assert sim.statuses(OWNER, REPO, repository.head()) == []


async def test_status_description_140_chars_accepted(gh, repository):
    created = await gh.post(
        repo_path(f"/statuses/{repository.head()}"),
        data={"state": "success", "description": "y" * 140},
    )
    assert len(created["description"]) == 140


async def test_status_bad_state_is_422(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(
            repo_path(f"/statuses/{repository.head()}"), data={"state": "done"}
        )
    assert raised.value.status_code == 422
    assert sim.requests[-1].response["message"] == (
        "Invalid request.\n\nFor 'properties/state', \"done\" is not a member of"
        ' ["error", "failure", "pending", "success"].'
    )


async def test_status_unknown_sha_is_422(gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(repo_path(f"/statuses/{'a' * 40}"), data={"state": "success"})
    assert raised.value.status_code == 422
    assert "No commit found for SHA" in str(raised.value)


async def test_status_limit_per_context(sim, gh, repository, monkeypatch):
    monkeypatch.setattr("simulators.github.statuses.MAX_STATUSES_PER_CONTEXT", 2)
    sha = repository.head()
    for _ in range(2):
        await gh.post(repo_path(f"/statuses/{sha}"), data={"state": "pending"})
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(repo_path(f"/statuses/{sha}"), data={"state": "pending"})
    assert raised.value.status_code == 422
    other = await gh.post(
        repo_path(f"/statuses/{sha}"), data={"state": "pending", "context": "other"}
    )
    assert other["context"] == "other"


async def test_combined_status_by_branch_and_sha(sim, gh, repository):
    sha = repository.head()
    await sim.create_status(OWNER, REPO, sha, "pending", context="ci/build")
    await sim.create_status(OWNER, REPO, sha, "success", context="ci/build")
    await sim.create_status(OWNER, REPO, sha, "success", context="ci/lint")
    by_branch = await gh.getitem(repo_path("/commits/main/status"))
    assert by_branch["state"] == "success"
    assert by_branch["sha"] == sha
    assert by_branch["total_count"] == 2
    await sim.create_status(OWNER, REPO, sha, "failure", context="ci/lint")
    by_sha = await gh.getitem(repo_path(f"/commits/{sha}/status"))
    assert by_sha["state"] == "failure"


async def test_combined_status_empty_is_pending(gh, repository):
    combined = await gh.getitem(repo_path("/commits/main/status"))
    assert combined["state"] == "pending"
    assert combined["statuses"] == []


async def test_contents_file_found(gh, repository):
    content = await gh.getitem(repo_path("/contents/.github/cite.yml"))
    assert content["type"] == "file"
    assert content["encoding"] == "base64"
    assert base64.b64decode(content["content"]).decode() == CONFIG
    assert content["size"] == len(CONFIG)
    assert content["path"] == ".github/cite.yml"
    assert content["name"] == "cite.yml"


async def test_contents_base64_wrapped_at_60(sim, gh, repository):
    await sim.push(OWNER, REPO, "main", {"big.txt": "z" * 500}, "Add a big file")
    content = await gh.getitem(repo_path("/contents/big.txt"))
    lines = content["content"].split("\n")
    assert max(len(line) for line in lines) == 60
    assert base64.b64decode(content["content"]) == b"z" * 500


async def test_contents_missing_path_is_404(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/contents/missing.yml"))
    assert raised.value.status_code == 404
    assert sim.requests[-1].response["message"] == "Not Found"


async def test_contents_missing_ref_is_404(gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/contents/README.md?ref=nope"))
    assert raised.value.status_code == 404


async def test_contents_at_other_ref(sim, gh, repository):
    first = repository.head()
    await sim.push(OWNER, REPO, "topic", {"README.md": "# Topic\n"}, "Change readme")
    on_topic = await gh.getitem(repo_path("/contents/README.md?ref=topic"))
    on_first = await gh.getitem(repo_path(f"/contents/README.md?ref={first}"))
    assert base64.b64decode(on_topic["content"]) == b"# Topic\n"
    assert base64.b64decode(on_first["content"]) == b"# Hello\n"


async def test_contents_deleted_file_is_404(sim, gh, repository):
    await sim.push(OWNER, REPO, "main", {}, "Remove config", (".github/cite.yml",))
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/contents/.github/cite.yml"))
    assert raised.value.status_code == 404


async def test_contents_directory_lists_entries(gh, repository):
    listing = await gh.getitem(repo_path("/contents/.github"))
    assert [(e["name"], e["type"]) for e in listing] == [("cite.yml", "file")]


async def test_push_parent_is_branch_head(sim, repository):
    first = repository.head()
    second = await sim.push(OWNER, REPO, "main", {"a.txt": "a"}, "Add a")
    branch = await sim.push(OWNER, REPO, "topic", {"b.txt": "b"}, "Add b")
    assert repository.commits[second].parents == [first]
    assert repository.commits[branch].parents == [second]
    assert repository.branches == {"main": second, "topic": branch}


async def test_collaborator_permission_mapping(sim, gh, repository):
    for login, role in [("mia", "maintain"), ("tom", "triage"), ("ada", "admin")]:
        sim.add_collaborator(OWNER, REPO, login, role)
    expected = {"mia": "write", "tom": "read", "ada": "admin"}
    for login, permission in expected.items():
        answer = await gh.getitem(repo_path(f"/collaborators/{login}/permission"))
        assert answer["permission"] == permission
        assert answer["user"]["login"] == login
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/collaborators/stranger/permission"))
    assert raised.value.status_code == 404


async def test_unknown_route_is_github_404(sim, gh, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem("/no/such/route")
    assert raised.value.status_code == 404
    assert sim.requests[-1].response == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
    }


async def test_responses_carry_github_headers(session, server_url, token, repository):
    async with session.get(
        server_url + repo_path("/deployments"),
        headers={"Authorization": f"token {token}"},
    ) as response:
        assert response.headers["x-ratelimit-limit"] == "5000"
        assert "x-ratelimit-remaining" in response.headers
        assert "x-ratelimit-reset" in response.headers
        assert response.headers["x-github-request-id"]


async def test_deployment_list_pages_with_link_header(gh, session, server_url, token):
    for number in range(35):
        await gh.post(
            repo_path("/deployments"),
            data={
                "ref": "main",
                "environment": f"env-{number}",
                "auto_merge": False,
                "required_contexts": [],
            },
        )

    listed = [item async for item in gh.getiter(repo_path("/deployments"))]

    assert len(listed) == 35
    assert listed[0]["environment"] == "env-34"
    async with session.get(
        server_url + repo_path("/deployments"),
        headers={"Authorization": f"token {token}"},
    ) as response:
        assert 'rel="next"' in response.headers["Link"]
        assert 'rel="last"' in response.headers["Link"]
