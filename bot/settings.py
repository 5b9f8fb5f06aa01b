"""Read the bot's settings from the environment once, at start-up."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.quantity import QuantityError, parse_quantity


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseModel):
    """Every setting of the bot, typed; secrets hide themselves from repr."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github_app_id: int = Field(gt=0, alias="GITHUB_APP_ID")
    github_private_key: SecretStr = Field(alias="GITHUB_PRIVATE_KEY")
    github_webhook_secret: SecretStr = Field(
        alias="GITHUB_WEBHOOK_SECRET", min_length=1
    )
    github_api_url: AnyHttpUrl = Field(
        default="https://api.github.com", alias="GITHUB_API_URL"
    )
    port: int = Field(default=8080, ge=0, le=65535, alias="PORT")
    host: str = Field(default="0.0.0.0", alias="HOST")
    kubeconfig: Path | None = Field(default=None, alias="KUBECONFIG")

    workers: int = Field(default=8, ge=1, alias="CITE_WORKERS")
    queue_size: int = Field(default=100, ge=1, alias="CITE_QUEUE_SIZE")
    max_concurrent_deploys: int = Field(default=16, ge=1, alias="CITE_MAX_DEPLOYS")
    delivery_memory: int = Field(
        default=86400, ge=1, alias="CITE_DELIVERY_MEMORY_SECONDS"
    )

    namespace_prefix: str = Field(default="cite-", alias="CITE_NAMESPACE_PREFIX")
    ready_timeout: float = Field(default=600.0, gt=0, alias="CITE_READY_TIMEOUT")
    environment_url: str = Field(
        default="http://{service}.{namespace}.svc.cluster.local",
        alias="CITE_ENVIRONMENT_URL",
    )
    registry: str = Field(default="localhost:5000", alias="CITE_REGISTRY")

    build_namespace: str = Field(
        default="cite-builds",
        alias="CITE_BUILD_NAMESPACE",
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        max_length=63,
    )
    builder_image: str = Field(
        default="gcr.io/kaniko-project/executor:v1.23.2",
        alias="CITE_BUILDER_IMAGE",
        min_length=1,
    )
    build_cpu: str = Field(default="1", alias="CITE_BUILD_CPU")
    build_memory: str = Field(default="2Gi", alias="CITE_BUILD_MEMORY")
    build_deadline: int = Field(default=1800, ge=1, alias="CITE_BUILD_DEADLINE")
    max_concurrent_builds: int = Field(default=8, ge=1, alias="CITE_MAX_BUILDS")
    build_registry_secret: str | None = Field(
        default=None, alias="CITE_BUILD_REGISTRY_SECRET", min_length=1
    )
    public_url: AnyHttpUrl | None = Field(default=None, alias="CITE_PUBLIC_URL")
    build_log_link_seconds: int = Field(
        default=604800, ge=60, alias="CITE_BUILD_LOG_LINK_SECONDS"
    )

    max_pods: int = Field(default=20, ge=1, alias="CITE_MAX_PODS")
    default_cpu: str = Field(default="250m", alias="CITE_DEFAULT_CPU")
    default_memory: str = Field(default="1Gi", alias="CITE_DEFAULT_MEMORY")
    max_cpu: str = Field(default="2000m", alias="CITE_MAX_CPU")
    max_memory: str = Field(default="8Gi", alias="CITE_MAX_MEMORY")

    identity: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        alias="CITE_IDENTITY",
        min_length=1,
        max_length=128,
    )
    namespace: str = Field(
        default="cite",
        alias="CITE_NAMESPACE",
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    )
    lease_seconds: int = Field(default=15, ge=1, le=3600, alias="CITE_LEASE_SECONDS")
    release_retention: float = Field(
        default=3600.0, ge=0, alias="CITE_RELEASE_RETENTION"
    )
    max_standby: int = Field(default=2, ge=0, alias="CITE_MAX_STANDBY")
    cleanup_interval: float = Field(default=60.0, gt=0, alias="CITE_CLEANUP_INTERVAL")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")

    @field_validator("github_private_key")
    @classmethod
    def _check_pem(cls, value: SecretStr) -> SecretStr:
        if "PRIVATE KEY-----" not in value.get_secret_value():
            raise ValueError("expected an RSA private key in PEM format")
        return value

    @field_validator(
        "default_cpu",
        "max_cpu",
        "default_memory",
        "max_memory",
        "build_cpu",
        "build_memory",
    )
    @classmethod
    def _check_quantity(cls, value: str) -> str:
        try:
            parse_quantity(value)
        except QuantityError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("environment_url")
    @classmethod
    def _check_url_template(cls, value: str) -> str:
        try:
            value.format(service="s", namespace="n", environment="e", repo="r")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "expected a URL template using only {service}, {namespace}, "
                f"{{environment}} and {{repo}} ({error})"
            ) from None
        return value

    @model_validator(mode="after")
    def _check_defaults_within_limits(self) -> Settings:
        if parse_quantity(self.default_cpu) > parse_quantity(self.max_cpu):
            raise ValueError("CITE_DEFAULT_CPU is above CITE_MAX_CPU")
        if parse_quantity(self.default_memory) > parse_quantity(self.max_memory):
            raise ValueError("CITE_DEFAULT_MEMORY is above CITE_MAX_MEMORY")
        return self

    @property
    def api_url(self) -> str:
        """The GitHub API root without a trailing slash."""
        return str(self.github_api_url).rstrip("/")

    @property
    def public_base_url(self) -> str | None:
        """The bot's public URL without a trailing slash, for links to it."""
        return str(self.public_url).rstrip("/") if self.public_url else None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the environment, raising SettingsError on a bad one.

    The private key is taken from GITHUB_PRIVATE_KEY, or read from the file that
    GITHUB_PRIVATE_KEY_PATH names.
    """
    environ = dict(os.environ if environ is None else environ)
    key_path = environ.pop("GITHUB_PRIVATE_KEY_PATH", None)
    if key_path and "GITHUB_PRIVATE_KEY" not in environ:
        try:
            environ["GITHUB_PRIVATE_KEY"] = Path(key_path).read_text()
        except OSError as error:
            raise SettingsError(
                f"GITHUB_PRIVATE_KEY_PATH: cannot read {key_path!r}: "
                f"{error.strerror}. Expected the path of the app's PEM key file."
            ) from None
    known = {field.alias for field in Settings.model_fields.values()}
    values = {name: value for name, value in environ.items() if name in known}
    if values.get("KUBECONFIG") == "":
        del values["KUBECONFIG"]
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        variable = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
            if variable == "GITHUB_PRIVATE_KEY":
                message += " (set it, or GITHUB_PRIVATE_KEY_PATH, to the PEM key)"
        problems.append(f"{variable}: {message}")
    return "Invalid settings: " + "; ".join(problems)
