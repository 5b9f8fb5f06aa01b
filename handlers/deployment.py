"""Execute every new GitHub deployment, whichever tool or person created it."""

from __future__ import annotations

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot.context import BotContext
from bot.deploy_job import DeploymentJob
from bot.logs import ContextLogger

router = routing.Router()


@router.register("deployment", action="created")
async def start_deployment(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Hand a new deployment to the deployer, which runs it in the background."""
    task = event.data["deployment"].get("task") or "deploy"
    if task != "deploy":
        logger.info("Ignoring deployment task %r.", task)
        return
    context.deployer.start(DeploymentJob.from_event(event.data), logger)
