"""Turn a successful build status into a GitHub deployment of that commit."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot import github
from bot.context import BotContext
from bot.deploy_job import DeploymentJob
from bot.logs import ContextLogger
from bot.repo_config import CONFIG_PATH, ConfigError, parse_config, raw_build_context
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
    owner = data["repository"]["owner"]["login"]
    repo = data["repository"]["name"]
    sha = data["sha"]
    text = await github.read_file(gh, owner, repo, CONFIG_PATH, sha)
    if text is None:
        return
    try:
        config = parse_config(text, context.limits)
    except ConfigError as error:
        if data["context"] == raw_build_context(text):
            logger.info("Not deploying: invalid config: %s", error)
            await github.create_commit_status(
                gh,
                owner,
                repo,
                sha,
                state="failure",
                context=DEPLOY_CONTEXT,
                description=INVALID_CONFIG.format(reason=error),
            )
        return
    if data["context"] != config.build_context:
        return

    default_branch = data["repository"].get("default_branch") or "main"
    environments: dict[str, str] = {}
    for branch in branches:
        environment = config.environment_for(branch, default_branch)
        if environment is not None:
            environments.setdefault(environment, branch)
    for environment, branch in environments.items():
        await _create_deployment(
            gh, owner, repo, sha, branch, environment, config, context, logger
        )


async def _create_deployment(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    sha: str,
    branch: str,
    environment: str,
    config: Any,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    existing = await github.find_deployments(
        gh, owner, repo, sha=sha, environment=environment
    )
    if existing:
        logger.info(
            "Deployment %s of %s to %s exists already; not creating another.",
            existing[0]["id"],
            sha[:7],
            environment,
        )
        return
    image = config.image_for(
        owner=owner,
        repo=repo,
        sha=sha,
        branch=branch,
        registry=context.settings.registry,
    )
    deployment = await github.create_deployment(
        gh,
        owner,
        repo,
        sha=sha,
        environment=environment,
        payload={"cite": {"branch": branch, "image": image}},
        description=DEPLOYMENT_DESCRIPTION.format(
            sha=sha[:7], branch=branch, environment=environment
        ),
        required_contexts=[config.build_context],
    )
    logger.info(
        "Created deployment %s of %s to %s.",
        deployment.get("id"),
        sha[:7],
        environment,
    )


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
