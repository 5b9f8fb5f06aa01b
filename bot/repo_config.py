"""Parse and check a repository's ``.github/cite.yml`` against the operator's limits."""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass
from typing import Any

import yaml
from gidgethub.abc import GitHubAPI
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from bot import github
from bot.quantity import QuantityError, parse_quantity

CONFIG_PATH = ".github/cite.yml"
DEFAULT_BUILD_CONTEXT = "cite/build"

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
# Paths inside the repository: no '#' or spaces, because they go into the
# builder's git context URL and arguments.
_REPO_PATH = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._/-]*$")
_IMAGE_FIELDS = {"owner", "repo", "sha", "branch", "registry"}


class ConfigError(ValueError):
    """The config file is not valid; the message names the key and the problem.

    ``build_context`` is the build context the file names, as far as it can
    be read, so that the failure can be reported on the right build's events.
    """

    build_context: str = DEFAULT_BUILD_CONTEXT


@dataclass(frozen=True)
class Limits:
    """The operator's bounds and defaults for every service."""

    max_pods: int = 20
    default_cpu: str = "250m"
    default_memory: str = "1Gi"
    max_cpu: str = "2000m"
    max_memory: str = "8Gi"


class Resources(BaseModel):
    """CPU and memory of each pod, as Kubernetes quantities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu: StrictStr | None = None
    memory: StrictStr | None = None

    @field_validator("cpu", "memory")
    @classmethod
    def _check_quantity(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_quantity(value)
            except QuantityError as error:
                raise ValueError(str(error)) from None
        return value


class BuildConfig(BaseModel):
    """Cite's own image build: the Dockerfile, its directory, and tags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dockerfile: StrictStr = "Dockerfile"
    context: StrictStr = "."
    tags: StrictBool = False

    @field_validator("dockerfile", "context")
    @classmethod
    def _check_repo_path(cls, value: str) -> str:
        parts = value.split("/")
        if not _REPO_PATH.match(value) or ".." in parts:
            raise ValueError(
                f"expected a relative path inside the repository such as "
                f"docker/app, got {value!r}"
            )
        return value

    @property
    def context_dir(self) -> str | None:
        """The build context directory, or None for the repository's root."""
        path = self.context.strip("/")
        return None if path in ("", ".") else path


class PullRequestConfig(BaseModel):
    """Permissions of pull requests beyond their own preview environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environments: list[StrictStr] = Field(default_factory=list)


class RepoConfig(BaseModel):
    """The keys of ``.github/cite.yml``, each with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: StrictInt = Field(default=8080, ge=1, le=65535)
    replicas: StrictInt = Field(default=1, ge=1)
    readiness_path: StrictStr | None = None
    env: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    resources: Resources = Field(default_factory=Resources)
    deploy: dict[StrictStr, StrictStr] | None = None
    image: StrictStr | None = None
    build_context: StrictStr = Field(default=DEFAULT_BUILD_CONTEXT, min_length=1)
    build: BuildConfig = Field(default_factory=BuildConfig)
    pull_requests: PullRequestConfig = Field(default_factory=PullRequestConfig)

    @field_validator("readiness_path")
    @classmethod
    def _check_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {value!r}")
        return value

    @field_validator("env")
    @classmethod
    def _check_env(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
        return value

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as error:
            raise ValueError(f"invalid template {value!r}: {error}") from None
        for _, name, spec, conversion in parts:
            if name is not None and (spec or conversion):
                raise ValueError(
                    f"placeholder {{{name}}} takes no format spec or conversion"
                )
        fields = {name for _, name, _, _ in parts}
        unknown = sorted(name for name in fields - _IMAGE_FIELDS if name is not None)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}; use {{owner}}, {{repo}}, "
                "{sha}, {branch} or {registry}"
            )
        return value

    def branch_for(self, environment: str, default_branch: str) -> str | None:
        """Return the branch whose Service serves an environment, if any.

        Only an exact branch name counts: a pattern such as ``release/*`` names
        many branches, so it serves no environment on its own.
        """
        rules = (
            self.deploy if self.deploy is not None else {default_branch: "production"}
        )
        for branch, target in rules.items():
            if target == environment and not any(c in branch for c in "*?["):
                return branch
        return None

    def environment_for(self, branch: str, default_branch: str) -> str | None:
        """Return the environment a push to this branch deploys to, if any.

        Keys of ``deploy`` are branch names or shell-style patterns such as
        ``release/*``; an exact name wins over a pattern.
        """
        rules = (
            self.deploy if self.deploy is not None else {default_branch: "production"}
        )
        if branch in rules:
            return rules[branch]
        for pattern, environment in rules.items():
            if fnmatch.fnmatchcase(branch, pattern):
                return environment
        return None

    def image_for(
        self, *, owner: str, repo: str, sha: str, branch: str, registry: str
    ) -> str:
        """Return the image of a commit: the template, or Cite's own build."""
        template = self.image or "{registry}/{owner}/{repo}:{sha}"
        return template.format(
            owner=owner.lower(),
            repo=repo.lower(),
            sha=sha,
            branch=branch,
            registry=registry,
        )


@dataclass(frozen=True)
class PodResources:
    """The resources one pod of a release requests and is limited to."""

    cpu: str
    memory: str


def parse_config(text: str, limits: Limits) -> RepoConfig:
    """Parse the YAML text of the config file and check it against the limits."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{CONFIG_PATH} is not valid YAML{where}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{CONFIG_PATH} must be a mapping of keys to values")
    try:
        config = RepoConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    _check_limits(config, limits)
    return config


def raw_build_context(text: str) -> str:
    """Return the build context an invalid file names, as far as it can be read."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return DEFAULT_BUILD_CONTEXT
    value = raw.get("build_context") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value else DEFAULT_BUILD_CONTEXT


def raw_names_image(text: str) -> bool:
    """Return whether an invalid file has an ``image`` key, as far as it can be read."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(raw, dict) and raw.get("image") is not None


def pod_resources(config: RepoConfig, limits: Limits) -> PodResources:
    """Return the pod resources, the operator's defaults filling the gaps."""
    return PodResources(
        cpu=config.resources.cpu or limits.default_cpu,
        memory=config.resources.memory or limits.default_memory,
    )


def _check_limits(config: RepoConfig, limits: Limits) -> None:
    if config.replicas > limits.max_pods:
        raise ConfigError(
            f"replicas: {config.replicas} is above the limit of {limits.max_pods} pods"
        )
    resources = pod_resources(config, limits)
    if parse_quantity(resources.cpu) > parse_quantity(limits.max_cpu):
        raise ConfigError(
            f"resources.cpu: {resources.cpu} is above the limit of {limits.max_cpu}"
        )
    if parse_quantity(resources.memory) > parse_quantity(limits.max_memory):
        raise ConfigError(
            f"resources.memory: {resources.memory} is above the limit of "
            f"{limits.max_memory}"
        )


def _describe(error: ValidationError) -> str:
    item = error.errors()[0]
    key = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    message = _EXPECTED.get(item["type"]) or item["msg"].removeprefix("Value error, ")
    value: Any = item.get("input")
    if item["type"] in _EXPECTED and not isinstance(value, dict | list):
        message = f"{message}, got {value!r}"
    return f"{key}: {message}"


_EXPECTED = {
    "int_type": "expected a whole number",
    "string_type": "expected a string",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


async def load_config(
    gh: GitHubAPI, owner: str, repo: str, sha: str, limits: Limits
) -> RepoConfig | None:
    """Read and check the config file at a commit; None when it has none.

    Raises ConfigError for a file that is not valid, including one that is not
    UTF-8 text.
    """
    try:
        text = await github.read_file(gh, owner, repo, CONFIG_PATH, sha)
    except github.NotText as error:
        raise ConfigError(str(error)) from None
    if text is None:
        return None
    try:
        return parse_config(text, limits)
    except ConfigError as error:
        error.build_context = raw_build_context(text)
        raise
