"""Remove a pull request's preview environment and locks when it closes."""

from __future__ import annotations

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot import github
from bot.commands.pull_request import preview_environment, preview_service_key
from bot.context import BotContext
from bot.logs import ContextLogger
from k8s import environments
from k8s.names import namespace_name, service_name

router = routing.Router()

REMOVED = "Preview environment removed: pull request #{number} was {state}."


@router.register("pull_request", action="closed")
async def remove_preview(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Delete the preview's Service and releases, retire its deployments, unlock."""
    data = event.data
    number = data["pull_request"]["number"]
    owner = data["repository"]["owner"]["login"]
    repo = data["repository"]["name"]
    namespace = namespace_name(context.settings.namespace_prefix, owner)
    service = service_name(repo, preview_service_key(number))

    async with context.deployer.service_locks.hold(namespace, service):
        removed = await environments.remove_service(context.kube, namespace, service)
    repository = f"{owner}/{repo}"
    for lock in await environments.locks_of(
        context.kube, namespace, repository, number
    ):
        await environments.release_lock(
            context.kube, namespace, repository, lock.environment, number
        )
        logger.info("Released the lock on %s.", lock.environment)

    state = "merged" if data["pull_request"].get("merged") else "closed"
    environment = preview_environment(number)
    for deployment in await github.find_deployments(
        gh, owner, repo, environment=environment
    ):
        statuses = await github.list_deployment_statuses(
            gh, owner, repo, deployment["id"]
        )
        if statuses and statuses[0]["state"] == "inactive":
            continue
        await github.create_deployment_status(
            gh,
            owner,
            repo,
            deployment["id"],
            state="inactive",
            description=REMOVED.format(number=number, state=state),
        )
    logger.info("Removed preview %s: releases %s.", environment, removed or "none")
