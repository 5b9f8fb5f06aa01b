"""Pure parts of builds: names, config keys, skip markers, texts and links."""

from __future__ import annotations

import re

import pytest

from bot.build_logs import is_valid, link_key, log_link
from bot.builds import failure_description, format_duration, git_source
from bot.repo_config import ConfigError, Limits, parse_config, raw_names_image
from handlers.push import skips_ci
from k8s.builds import job_outcome
from k8s.names import build_name

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SHA = "3f1c2a9" + "0" * 33


@pytest.mark.parametrize(
    ("owner", "repo", "ref"),
    [
        ("octo-org", "hello-world", "refs/heads/main"),
        ("Octo-Org", "Hello_World", "refs/heads/Feature/ABC_Login"),
        ("o", "r" * 100, "refs/heads/" + "b" * 200),
        ("o", "---", "refs/tags/---"),
    ],
)
def test_build_name_is_label(owner, repo, ref):
    name = build_name(owner, repo, ref, SHA)

    assert len(name) <= 63
    assert LABEL.match(name)
    assert name.endswith(SHA[:10])
    assert build_name(owner, repo, ref, SHA) == name


def test_build_name_distinct_per_owner_ref_commit():
    names = {
        build_name("a", "web", "refs/heads/main", SHA),
        build_name("b", "web", "refs/heads/main", SHA),
        build_name("a", "web", "refs/heads/Main", SHA),
        build_name("a", "web", "refs/tags/main", SHA),
        build_name("a", "web", "refs/heads/main", "f" * 40),
    }

    assert len(names) == 5


def test_build_config_defaults():
    config = parse_config("port: 8080\n", Limits())

    assert config.build.dockerfile == "Dockerfile"
    assert config.build.context == "."
    assert config.build.context_dir is None
    assert config.build.tags is False


def test_build_config_keys():
    text = "build:\n  dockerfile: app.Dockerfile\n  context: web/\n  tags: true\n"

    build = parse_config(text, Limits()).build

    assert build.dockerfile == "app.Dockerfile"
    assert build.context_dir == "web"
    assert build.tags is True


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("build:\n  dockerfile: ../Dockerfile\n", "build.dockerfile: expected"),
        ("build:\n  context: /abs\n", "build.context: expected"),
        ("build:\n  context: 'a#b'\n", "build.context: expected"),
        ("build:\n  tags: yes please\n", "build.tags"),
        ("build:\n  docker: x\n", "build.docker: unknown key"),
        ("build: main\n", "build: expected a mapping"),
    ],
)
def test_build_config_invalid(text, named):
    with pytest.raises(ConfigError) as raised:
        parse_config(text, Limits())

    assert named in str(raised.value)


def test_raw_names_image():
    assert raw_names_image("image: x\nprot: 1\n")
    assert not raw_names_image("prot: 1\n")
    assert not raw_names_image(": : :\n  - [")


@pytest.mark.parametrize(
    ("message", "skipped"),
    [
        ("Fix typo [skip ci]", True),
        ("[CI SKIP] fix", True),
        ("Fix [no ci]", True),
        ("Fix [skip actions]", True),
        ("Fix [actions skip]", True),
        ("Fix\n\nskip-checks: true", True),
        ("Fix\n\nSkip-Checks:true  ", True),
        ("Fix\n\nskip-checks: false", False),
        ("Skip CI setup for now", False),
        ("Ship it", False),
    ],
)
def test_skips_ci(message, skipped):
    assert skips_ci(message) is skipped


@pytest.mark.parametrize(
    ("api_url", "url", "method"),
    [
        ("https://api.github.com", "github.com/o/r.git", "https"),
        ("https://ghe.example/api/v3", "ghe.example/o/r.git", "https"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000/o/r.git", "http"),
    ],
)
def test_git_source(api_url, url, method):
    assert git_source(api_url, "o", "r") == (url, method)


def test_format_duration():
    assert format_duration(4.4) == "4 s"
    assert format_duration(185) == "3 min 5 s"
    assert format_duration(None) == "an unknown time"


def test_failure_description_keeps_log_end():
    log = "compiling\n" * 50 + "error: COPY failed: file not found\n"

    description = failure_description("12 s", log)

    assert len(description) <= 140
    assert description.startswith("Build failed after 12 s: …compiling compiling")
    assert description.endswith("error: COPY failed: file not found")


def test_failure_description_empty_log():
    description = failure_description("1 s", "")

    assert description == "Build failed after 1 s: the build log is empty"


def test_job_outcome_reads_final_condition():
    running = {"status": {"startTime": "2026-01-01T00:00:00Z", "active": 1}}
    complete = {
        "status": {
            "startTime": "2026-01-01T00:00:00Z",
            "completionTime": "2026-01-01T00:01:05Z",
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True"},
                {"type": "Complete", "status": "True", "reason": "CompletionsReached"},
            ],
        }
    }
    failed = {
        "status": {
            "startTime": "2026-01-01T00:00:00Z",
            "conditions": [
                {"type": "FailureTarget", "status": "True"},
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "DeadlineExceeded",
                    "lastTransitionTime": "2026-01-01T00:30:00Z",
                },
            ],
        }
    }

    assert job_outcome(running) is None
    assert job_outcome(complete).succeeded
    assert job_outcome(complete).seconds == 65
    assert not job_outcome(failed).succeeded
    assert job_outcome(failed).reason == "DeadlineExceeded"
    assert job_outcome(failed).seconds == 1800


def test_log_link_signature():
    key = link_key("secret")
    link = log_link("http://bot", key, "builds", "job-1", 2000)
    query = dict(part.split("=") for part in link.split("?")[1].split("&"))

    assert link.startswith("http://bot/builds/builds/job-1/log?")
    assert is_valid(key, "builds", "job-1", "2000", query["token"], now=1999)
    assert not is_valid(key, "builds", "job-1", "2000", query["token"], now=2000)
    assert not is_valid(key, "builds", "job-2", "2000", query["token"], now=1999)
    assert not is_valid(key, "builds", "job-1", "2001", query["token"], now=1999)
    assert not is_valid(link_key("other"), "builds", "job-1", "2000", query["token"], 1)
    assert not is_valid(key, "builds", "job-1", "soon", query["token"], now=1)
