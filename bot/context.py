"""The services a handler receives with every event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubernetes_asyncio import client

from bot.auth import GitHubApp
from bot.deployments import DeploymentCreator
from bot.repo_config import Limits
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.builds import Builder
    from bot.deploys import Deployer


@dataclass(frozen=True)
class BotContext:
    """Settings, clients, and the objects that create and run deployments and builds."""

    settings: Settings
    github: GitHubApp
    kube: client.ApiClient
    deployer: Deployer
    builder: Builder
    creator: DeploymentCreator

    @property
    def limits(self) -> Limits:
        """The operator's limits for every service's pods."""
        return limits_from(self.settings)


def limits_from(settings: Settings) -> Limits:
    """Return the pod limits that the settings set."""
    return Limits(
        max_pods=settings.max_pods,
        default_cpu=settings.default_cpu,
        default_memory=settings.default_memory,
        max_cpu=settings.max_cpu,
        max_memory=settings.max_memory,
    )
