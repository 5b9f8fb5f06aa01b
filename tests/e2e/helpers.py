"""Steps the end-to-end tests share: a repository, a build, and waiting."""

from __future__ import annotations

from typing import Any

from bot import github
from bot.app import CONTEXT, QUEUE
from bot.reporting import DEPLOY_CONTEXT
from demo.stack import Stack
from k8s.manifests import RELEASE_LABEL, SHA_LABEL
from k8s.names import namespace_name, service_name

OWNER = "octo-org"
REPO = "hello-world"
CONFIG = "port: 8080\nreplicas: 2\nreadiness_path: /healthz\n"
FINAL_STATES = ("success", "failure", "error")
NAMESPACE = "cite-octo-org"


def create_repository(stack: Stack, config: str | None = CONFIG, **kwargs: Any) -> str:
    """Install the app on the org and create the repository; return its head sha."""
    stack.github.add_installation(OWNER)
    files = {"README.md": "# Hello\n"}
    if config is not None:
        files[".github/cite.yml"] = config
    repository = stack.github.add_repository(OWNER, REPO, files=files, **kwargs)
    return repository.branches[repository.default_branch]


def deploy_states(stack: Stack, sha: str) -> list[str]:
    """Return the states of the commit's cite/deploy statuses, oldest first."""
    return [
        status["state"]
        for status in stack.github.statuses(OWNER, REPO, sha)
        if status["context"] == DEPLOY_CONTEXT
    ]


def deploy_result(stack: Stack, sha: str) -> dict[str, Any] | None:
    """Return the newest final cite/deploy status of a commit, if there is one."""
    finals = [
        status
        for status in stack.github.statuses(OWNER, REPO, sha)
        if status["context"] == DEPLOY_CONTEXT and status["state"] in FINAL_STATES
    ]
    return finals[-1] if finals else None


async def build_and_deploy(
    stack: Stack, sha: str, *, context: str = "cite/build"
) -> dict[str, Any]:
    """Report a successful build and wait for the final cite/deploy status."""
    await stack.github.create_status(OWNER, REPO, sha, "success", context=context)
    return await stack.github.wait_for(lambda github: deploy_result(stack, sha))


async def settle(stack: Stack) -> None:
    """Wait until no webhook is in flight, no delivery queued and no deploy runs."""
    queue = stack.bot_app[QUEUE]
    deployer = stack.bot_app[CONTEXT].deployer
    builder = stack.bot_app[CONTEXT].builder
    while True:
        await stack.github.wait_idle()
        await queue.join()
        await deployer.wait_idle()
        await builder.wait_idle()
        if (
            stack.github.is_idle()
            and queue.is_idle()
            and deployer.is_idle()
            and builder.is_idle()
        ):
            return


def service(stack: Stack, branch: str = "main") -> dict[str, Any]:
    """Return the Service of a branch from the cluster simulator's store."""
    found = stack.cluster.store.get(
        "services", namespace_name("cite-", OWNER), service_name(REPO, branch)
    )
    assert found is not None, f"no Service for {branch}"
    return found


def selected_release(stack: Stack, branch: str = "main") -> str:
    """Return the release the branch's Service selects."""
    return service(stack, branch)["spec"]["selector"][RELEASE_LABEL]


def releases(stack: Stack) -> dict[str, dict[str, Any]]:
    """Return the release Deployments in the org's namespace, by name."""
    namespace = namespace_name("cite-", OWNER)
    return {
        item["metadata"]["name"]: item
        for item in stack.cluster.store.list("deployments", namespace)
    }


async def deploy_versions(stack, count: int) -> list[str]:
    """Deploy the initial commit and count - 1 more; return their shas."""
    shas = [create_repository(stack)]
    await build_and_deploy(stack, shas[0])
    for number in range(1, count):
        sha = await stack.github.push(
            OWNER, REPO, "main", {"app.py": f"v{number}"}, f"Ship v{number}"
        )
        await build_and_deploy(stack, sha)
        shas.append(sha)
    await settle(stack)
    return shas


def release_of(stack, sha: str) -> str | None:
    for name, release in releases(stack).items():
        if release["metadata"]["labels"][SHA_LABEL] == sha:
            return name
    return None


def deployment_of(stack, sha: str) -> dict:
    return next(d for d in stack.github.deployments(OWNER, REPO) if d["sha"] == sha)


async def roll_back(stack, sha: str) -> dict:
    """Create a deployment of an older commit as a person or tool would."""
    before = len(deploy_states_all(stack, sha))
    installation = stack.github.installation_for(stack.github.repository(OWNER, REPO))
    gh = await stack.bot_app[CONTEXT].github.client(installation.id)
    await github.create_deployment(
        gh,
        OWNER,
        REPO,
        sha=sha,
        environment="production",
        payload={"cite": {"branch": "main"}},
        description="Roll back",
        required_contexts=[],
    )
    return await stack.github.wait_for(
        lambda g: (
            len(deploy_states_all(stack, sha)) > before + 1
            and deploy_result(stack, sha)
        )
    )


def deploy_states_all(stack, sha: str) -> list[dict]:
    return [
        status
        for status in stack.github.statuses(OWNER, REPO, sha)
        if status["context"] == "cite/deploy"
    ]


def status_payload(stack: Stack, sha: str) -> dict[str, Any]:
    """Return a copy of the first status webhook payload sent for a commit."""
    delivery = next(
        item
        for item in stack.github.deliveries
        if item.event == "status" and item.payload["sha"] == sha
    )
    return dict(delivery.payload)
