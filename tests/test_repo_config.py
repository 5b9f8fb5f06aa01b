"""The repository config file: defaults, limits and errors that name the key."""

import pytest

from bot.repo_config import (
    ConfigError,
    Limits,
    parse_config,
    pod_resources,
    raw_build_context,
)

LIMITS = Limits()


def test_empty_file_gives_documented_defaults():
    config = parse_config("", LIMITS)
    assert config.port == 8080
    assert config.replicas == 1
    assert config.readiness_path is None
    assert config.env == {}
    assert config.build_context == "cite/build"
    assert config.image is None
    assert pod_resources(config, LIMITS).cpu == "250m"
    assert pod_resources(config, LIMITS).memory == "1Gi"


def test_default_branch_deploys_to_production():
    config = parse_config("port: 3000\n", LIMITS)
    assert config.environment_for("trunk", "trunk") == "production"
    assert config.environment_for("main", "trunk") is None


def test_deploy_rules_take_patterns():
    config = parse_config(
        "deploy:\n  main: production\n  release/*: staging\n  release/hot: hotfix\n",
        LIMITS,
    )
    assert config.environment_for("main", "main") == "production"
    assert config.environment_for("release/1.2", "main") == "staging"
    assert config.environment_for("release/hot", "main") == "hotfix"
    assert config.environment_for("feature/x", "main") is None


def test_image_template_is_filled():
    config = parse_config('image: "ghcr.io/{owner}/{repo}:{sha}"', LIMITS)
    image = config.image_for(
        owner="Octo", repo="Hello", sha="abc", branch="main", registry="r"
    )
    assert image == "ghcr.io/octo/hello:abc"


def test_default_image_uses_registry():
    config = parse_config("", LIMITS)
    image = config.image_for(
        owner="octo", repo="hello", sha="abc", branch="main", registry="reg:5000"
    )
    assert image == "reg:5000/octo/hello:abc"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot: 80", "prot: unknown key"),
        ('port: "80"', "port: expected a whole number, got '80'"),
        ("port: 70000", "port: Input should be less than or equal to 65535"),
        ("replicas: 21", "replicas: 21 is above the limit of 20 pods"),
        ("replicas: 0", "replicas: Input should be greater than or equal to 1"),
        ("resources: {cpu: 2500m}", "resources.cpu: 2500m is above the limit of 2000m"),
        ("resources: {memory: 9Gi}", "resources.memory: 9Gi is above the limit of 8Gi"),
        (
            "resources: {cpu: lots}",
            "resources.cpu: 'lots' is not a Kubernetes quantity",
        ),
        ("resources: {gpu: 1}", "resources.gpu: unknown key"),
        ("resources: 2", "resources: expected a mapping, got 2"),
        ("env: {A: 1}", "env.A: expected a string, got 1"),
        ('env: {"1 A": x}', "env: '1 A' is not a valid environment variable name"),
        (
            "readiness_path: healthz",
            "readiness_path: expected a path starting with '/'",
        ),
        ('image: "r/{nope}"', "image: unknown placeholder {nope}"),
        ("- a\n- b", "must be a mapping"),
        ("port: [", "not valid YAML at line 1"),
    ],
)
def test_invalid_config_names_key(text, message):
    with pytest.raises(ConfigError) as raised:
        parse_config(text, LIMITS)
    assert message in str(raised.value)


def test_operator_limits_apply():
    limits = Limits(max_pods=3, max_cpu="500m", default_cpu="100m")
    assert parse_config("replicas: 3", limits).replicas == 3
    with pytest.raises(ConfigError, match="above the limit of 3 pods"):
        parse_config("replicas: 4", limits)
    with pytest.raises(ConfigError, match="above the limit of 500m"):
        parse_config("resources: {cpu: '1'}", limits)


def test_raw_build_context_of_invalid_file():
    assert raw_build_context("build_context: ci/image\nprot: 1") == "ci/image"
    assert raw_build_context("port: [") == "cite/build"
    assert raw_build_context("build_context: 5") == "cite/build"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "resources: {cpu: '1e999999999'}",
            "resources.cpu: '1e999999999' is too large",
        ),
        ('image: "r/{sha:>300000000}"', "placeholder {sha} takes no format spec"),
        ('image: "r/{sha!r}"', "placeholder {sha} takes no format spec"),
    ],
)
def test_hostile_values_rejected(text, message):
    with pytest.raises(ConfigError) as raised:
        parse_config(text, LIMITS)
    assert message in str(raised.value)


def test_branch_for_environment():
    config = parse_config(
        "deploy:\n  main: production\n  develop: staging\n  release/*: staging\n",
        LIMITS,
    )
    assert config.branch_for("production", "main") == "main"
    assert config.branch_for("staging", "main") == "develop"
    assert config.branch_for("qa", "main") is None
    assert parse_config("", LIMITS).branch_for("production", "trunk") == "trunk"


def test_pull_request_environments():
    config = parse_config("pull_requests:\n  environments: [staging]\n", LIMITS)
    assert config.pull_requests.environments == ["staging"]
    assert parse_config("", LIMITS).pull_requests.environments == []
