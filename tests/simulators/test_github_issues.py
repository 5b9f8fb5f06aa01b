"""Tests of the GitHub simulator's issues, pull requests, comments and reactions."""

from __future__ import annotations

import gidgethub
import pytest

from simulators.github.openapi import description
from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import (
    OWNER,
    REPO,
    repo_path,
    schema_errors,
    signature_matches,
)


def comment_events(sim):
    return [d for d in sim.deliveries if d.event == "issue_comment"]


async def test_person_comment_sends_valid_webhook(sim, receiver, repository):
    await sim.push(OWNER, REPO, "topic", {"t": "1"}, "Topic")
    number = sim.open_pull_request(OWNER, REPO, "topic", title="Topic")
    comment_id = await sim.comment(
        OWNER, REPO, number, "/deploy preview\r\nthanks 🙏", user="mia"
    )
    [delivery] = await sim.wait_for(comment_events)
    payload = delivery.payload
    assert schema_errors("issue_comment", payload) == []
    assert payload["action"] == "created"
    assert payload["comment"]["id"] == comment_id
    assert payload["comment"]["body"] == "/deploy preview\r\nthanks 🙏"
    assert payload["comment"]["user"]["login"] == "mia"
    assert payload["issue"]["number"] == number
    assert "pull_request" in payload["issue"]
    assert "head" not in payload["issue"]
    assert signature_matches(receiver.received[-1])


async def test_app_comment_comes_back_as_bot(sim, gh, repository):
    number = sim.open_issue(OWNER, REPO, "Broken deploy")
    created = await gh.post(
        repo_path(f"/issues/{number}/comments"), data={"body": "Looking into it"}
    )
    assert created["user"]["login"] == "cite[bot]"
    assert created["performed_via_github_app"]["slug"] == "cite"
    [delivery] = await sim.wait_for(comment_events)
    assert delivery.payload["comment"]["user"]["type"] == "Bot"
    assert "pull_request" not in delivery.payload["issue"]
    assert schema_errors("issue_comment", delivery.payload) == []
    listed = await gh.getitem(repo_path(f"/issues/{number}/comments"))
    assert [c["id"] for c in listed] == [created["id"]]


async def test_comment_edit_sends_changes(sim, gh, repository):
    number = sim.open_issue(OWNER, REPO, "Status")
    created = await gh.post(
        repo_path(f"/issues/{number}/comments"), data={"body": "Deploying…"}
    )
    edited = await gh.patch(
        repo_path(f"/issues/comments/{created['id']}"), data={"body": "Deployed ✔"}
    )
    assert edited["body"] == "Deployed ✔"
    events = await sim.wait_for(lambda s: len(comment_events(s)) == 2 and s)
    last = comment_events(events)[-1].payload
    assert last["action"] == "edited"
    assert last["changes"] == {"body": {"from": "Deploying…"}}
    assert schema_errors("issue_comment", last) == []


async def test_reaction_created_then_existing(gh, sim, repository):
    number = sim.open_issue(OWNER, REPO, "Thanks")
    comment_id = await sim.comment(OWNER, REPO, number, "/deploy", user="mia")
    url = repo_path(f"/issues/comments/{comment_id}/reactions")
    first = await gh.post(url, data={"content": "rocket"})
    assert sim.requests[-1].status == 201
    again = await gh.post(url, data={"content": "rocket"})
    assert sim.requests[-1].status == 200
    assert again["id"] == first["id"]
    comment = await gh.getitem(repo_path(f"/issues/comments/{comment_id}"))
    assert comment["reactions"]["rocket"] == 1
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.post(url, data={"content": "party"})
    assert raised.value.status_code == 422


async def test_pull_request_fetched(sim, gh, repository):
    head = await sim.push(OWNER, REPO, "topic", {"t": "1"}, "Topic")
    number = sim.open_pull_request(OWNER, REPO, "topic", title="Topic")
    pull = await gh.getitem(repo_path(f"/pulls/{number}"))
    assert pull["head"]["sha"] == head
    assert pull["head"]["ref"] == "topic"
    assert pull["base"]["ref"] == "main"
    assert pull["state"] == "open"
    errors = description().response_errors(
        "GET", repo_path(f"/pulls/{number}"), 200, pull
    )
    assert errors == []


async def test_issue_is_not_a_pull_request(sim, gh, repository):
    number = sim.open_issue(OWNER, REPO, "Plain issue")
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path(f"/pulls/{number}"))
    assert raised.value.status_code == 404


async def test_comment_responses_conform(sim, gh, repository):
    number = sim.open_issue(OWNER, REPO, "Check")
    created = await gh.post(
        repo_path(f"/issues/{number}/comments"), data={"body": "hello"}
    )
    await gh.post(
        repo_path(f"/issues/comments/{created['id']}/reactions"),
        data={"content": "eyes"},
    )
    for record in sim.requests:
        if description().operation(record.method, record.path) is None:
            continue
        errors = description().response_errors(
            record.method, record.path, record.status, record.response
        )
        assert errors == [], f"{record.method} {record.path}"
