"""Build the aiohttp application: join the routers and own the shared clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from gidgethub import routing, sansio
from kubernetes_asyncio import client

from bot.auth import GitHubApp, key_fingerprint
from bot.build_logs import ROUTE as BUILD_LOG_ROUTE
from bot.build_logs import link_key, make_log_view
from bot.builds import Builder
from bot.context import BotContext, limits_from
from bot.deployments import DeploymentCreator
from bot.deploys import Deployer
from bot.lifecycle import Lifecycle
from bot.locks import LeaderElector, ServiceLocks
from bot.logs import ContextLogger, get_logger
from bot.settings import Settings
from bot.webhook import make_view
from bot.worker import DeliveryQueue
from handlers import comments, deployment, pull_request, push, status
from k8s import releases
from k8s.client import load_configuration, open_client
from k8s.errors import KubernetesError

ROUTER = routing.Router(
    status.router,
    deployment.router,
    push.router,
    comments.router,
    pull_request.router,
)
GITHUB_TIMEOUT = aiohttp.ClientTimeout(total=30)
# GitHub caps webhook payloads at 25 MB.
MAX_DELIVERY_BYTES = 25 * 1024 * 1024

SETTINGS = web.AppKey("settings", Settings)
LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
ELECTOR = web.AppKey("elector", LeaderElector)
CONTEXT = web.AppKey("context", BotContext)
QUEUE = web.AppKey("queue", DeliveryQueue)

logger = get_logger(__name__)


async def dispatch(
    context: BotContext, event: sansio.Event, log: ContextLogger
) -> None:
    """Run every handler registered for the event with a client for its installation."""
    if not ROUTER.fetch(event):
        log.debug("No handler for this event; ignored.")
        return
    installation = (event.data.get("installation") or {}).get("id")
    if installation is None:
        log.warning("The delivery names no installation; ignored.")
        return
    gh = await context.github.client(installation)
    await ROUTER.dispatch(event, gh, context=context, logger=log)


async def _clients(app: web.Application) -> AsyncIterator[None]:
    """Open the GitHub session, the Kubernetes client, the deployer and workers."""
    settings = app[SETTINGS]
    configuration = await load_configuration(settings.kubeconfig)
    private_key = settings.github_private_key.get_secret_value()
    async with (
        aiohttp.ClientSession(timeout=GITHUB_TIMEOUT) as session,
        open_client(configuration) as kube,
    ):
        github_app = GitHubApp(
            session,
            app_id=settings.github_app_id,
            private_key=private_key,
            api_url=settings.api_url,
        )
        locks = ServiceLocks(
            kube, identity=settings.identity, duration_seconds=settings.lease_seconds
        )
        deployer = Deployer(settings, github_app, kube, limits_from(settings), locks)
        builder = Builder(settings, github_app, kube)
        lifecycle = Lifecycle(settings, kube, github_app, locks, deployer, builder)
        elector = LeaderElector(
            kube,
            namespace=settings.namespace,
            identity=settings.identity,
            duration_seconds=settings.lease_seconds,
            lead=lifecycle.lead,
        )
        app[CONTEXT] = BotContext(
            settings, github_app, kube, deployer, builder, DeploymentCreator()
        )
        app[LIFECYCLE] = lifecycle
        app[ELECTOR] = elector
        await _ensure_own_namespace(kube, settings.namespace)
        election = asyncio.create_task(elector.run(), name="leader-election")
        queue = app[QUEUE]
        queue.start()
        logger.info(
            "Cite started: app %s, key %s, GitHub API %s, Kubernetes API %s.",
            settings.github_app_id,
            key_fingerprint(private_key),
            settings.api_url,
            configuration.host,
        )
        try:
            yield
        finally:
            await queue.stop()
            await builder.stop()
            election.cancel()
            await asyncio.gather(election, return_exceptions=True)
            await deployer.stop()
            logger.info("Cite stopped.")


async def _ensure_own_namespace(kube: client.ApiClient, namespace: str) -> None:
    """Create the namespace of the leader Lease unless it exists."""
    try:
        await releases.ensure_namespace(kube, namespace, "cite")
    except KubernetesError as error:
        logger.error(
            "Cannot ensure namespace %s for the leader Lease: %s", namespace, error
        )


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app(settings: Settings) -> web.Application:
    """Return the bot's application; clients open on start-up and close on cleanup."""
    app = web.Application(client_max_size=MAX_DELIVERY_BYTES)
    app[SETTINGS] = settings
    queue = DeliveryQueue(
        lambda event, log: dispatch(app[CONTEXT], event, log),
        workers=settings.workers,
        size=settings.queue_size,
        memory_seconds=settings.delivery_memory,
    )
    app[QUEUE] = queue
    app.cleanup_ctx.append(_clients)
    secret = settings.github_webhook_secret.get_secret_value()
    app.router.add_post("/webhooks", make_view(queue, secret))
    app.router.add_get("/healthz", _health)
    app.router.add_get(
        BUILD_LOG_ROUTE,
        make_log_view(
            link_key(secret), settings.build_namespace, lambda: app[CONTEXT].kube
        ),
    )
    return app
