"""Turn a successful build status into a GitHub deployment of that commit."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot import github
from bot.context import BotContext
from bot.deploy_job import DeploymentJob
from bot.logs import ContextLogger
from bot.repo_config import (
    CONFIG_PATH,
    ConfigError,
    RepoConfig,
    load_config,
)
from bot.reporting import DEPLOY_CONTEXT

router = routing.Router()

DEPLOYMENT_DESCRIPTION = "Deploy {sha} from {branch} to {environment}"
INVALID_CONFIG = f"Invalid {CONFIG_PATH}: {{reason}}"


def head_branches(data: dict[str, Any]) -> list[str]:
    """Return the branches whose head is the status's commit."""
    sha = data["sha"]
    return [
        branch["name"]
        for branch in data.get("branches") or []
        if branch.get("commit", {}).get("sha") == sha
    ]


@router.register("status")
async def deploy_successful_build(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Create a deployment for each auto-deploy branch headed by a built commit."""
    data = event.data
    if data["state"] != "success" or data["context"] == DEPLOY_CONTEXT:
        return
    branches = head_branches(data)
    if not branches:
        logger.info("Commit %s heads no branch; not deploying.", data["sha"][:7])
        return
    owner, repo = data["repository"]["owner"]["login"], data["repository"]["name"]
    config = await _load_config(gh, data, context, logger)
    if config is None or data["context"] != config.build_context:
        return

    default_branch = data["repository"].get("default_branch") or "main"
    environments: dict[str, str] = {}
    for branch in branches:
        environment = config.environment_for(branch, default_branch)
        if environment is not None:
            environments.setdefault(environment, branch)
    for environment, branch in environments.items():
        deployment = await context.creator.create_once(
            gh,
            owner,
            repo,
            sha=data["sha"],
            environment=environment,
            cite={"branch": branch, "service_key": branch},
            description=DEPLOYMENT_DESCRIPTION.format(
                sha=data["sha"][:7], branch=branch, environment=environment
            ),
            required_contexts=[config.build_context],
        )
        if deployment is None:
            logger.info(
                "%s has a deployment to %s already.", data["sha"][:7], environment
            )
        else:
            logger.info("Created deployment %s to %s.", deployment["id"], environment)


async def _load_config(
    gh: GitHubAPI, data: dict[str, Any], context: BotContext, logger: ContextLogger
) -> RepoConfig | None:
    """Read the config at the commit; report an invalid one on its build status."""
    owner, repo = data["repository"]["owner"]["login"], data["repository"]["name"]
    try:
        return await load_config(gh, owner, repo, data["sha"], context.limits)
    except ConfigError as error:
        if data["context"] != error.build_context:
            return None
        logger.info("Not deploying: invalid config: %s", error)
        await github.create_commit_status(
            gh,
            owner,
            repo,
            data["sha"],
            state="failure",
            context=DEPLOY_CONTEXT,
            description=INVALID_CONFIG.format(reason=error),
        )
        return None


@router.register("status")
async def start_deploys_waiting_for_build(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Start the commands' deploys that waited for this commit's build to end."""
    data = event.data
    if data["state"] == "pending" or data["context"] == DEPLOY_CONTEXT:
        return
    owner = data["repository"]["owner"]["login"]
    repo = data["repository"]["name"]
    installation_id = data["installation"]["id"]
    for deployment in await github.find_deployments(gh, owner, repo, sha=data["sha"]):
        job = DeploymentJob.from_deployment(
            deployment, owner=owner, repo=repo, installation_id=installation_id
        )
        if job.wait_for_build != data["context"]:
            continue
        statuses = await github.list_deployment_statuses(
            gh, owner, repo, job.deployment_id
        )
        if statuses and statuses[0]["state"] == "queued":
            logger.info("Build ended; starting deployment %s.", job.deployment_id)
            context.deployer.start(job, logger)
