"""Coordinate bot replicas through Leases: the leader, and one lock per Service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

from kubernetes_asyncio import client

from bot.logs import get_logger
from k8s.errors import KubernetesError
from k8s.leases import Lease, LeaseRecord

LOCK_LABEL = "cite.dev/lock"
LEADER_LEASE = "cite-leader"

logger = get_logger(__name__)


def service_lock_name(service: str) -> str:
    """Return the name of the Lease that serializes work on a Service."""
    return f"{service}.deploy"


class ServiceLocks:
    """Hold a Service's Lease while deploying, rolling back or cleaning up.

    The holder renews the Lease every third of its duration. A replica that
    stops without releasing it leaves the annotations it wrote, so the leader
    can tell which deploy was interrupted once the Lease has expired.
    """

    def __init__(
        self, api: client.ApiClient, *, identity: str, duration_seconds: int
    ) -> None:
        self._api = api
        self._identity = identity
        self._duration = duration_seconds

    def lease(self, namespace: str, service: str, holder: str | None = None) -> Lease:
        """Return the Lease of one Service, to be held as ``holder``."""
        return Lease(
            self._api,
            namespace=namespace,
            name=service_lock_name(service),
            identity=holder or self._identity,
            duration_seconds=self._duration,
            labels={LOCK_LABEL: "service", "cite.dev/service": service},
        )

    @contextlib.asynccontextmanager
    async def hold(
        self,
        namespace: str,
        service: str,
        *,
        annotations: dict[str, str] | None = None,
        wait: bool = True,
    ) -> AsyncIterator[LeaseRecord | None]:
        """Take the Service's Lease, waiting for it unless ``wait`` is false.

        Yields the Lease as taken, or None when ``wait`` is false and another
        replica holds it. On a normal exit the Lease is released and the given
        annotations are removed; on cancellation they stay, to be resumed.
        """
        # Each hold has an identity of its own: a Lease held by this replica's
        # plain identity would count as already taken by every other task of
        # the same process.
        holder = f"{self._identity}/{secrets.token_hex(4)}"
        lease = self.lease(namespace, service, holder)
        record = await lease.try_acquire(annotations)
        while record is None and wait:
            await asyncio.sleep(self._duration / 3)
            record = await lease.try_acquire(annotations)
        if record is None:
            yield None
            return
        renewer = asyncio.create_task(self._renew(lease, annotations))
        keep = False
        try:
            yield record
        except asyncio.CancelledError:
            keep = True
            raise
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            cleared = () if keep else tuple(annotations or ())
            await asyncio.shield(_release(lease, cleared))

    async def record_waiting(
        self, namespace: str, service: str, waiting: dict[str, str], key: str
    ) -> None:
        """Record a deploy waiting for the Service unless a newer one is recorded.

        ``key`` is the annotation holding the deployment id, which orders them.
        """

        def newer(current: dict[str, str]) -> dict[str, str] | None:
            if _as_int(current.get(key)) >= _as_int(waiting[key]):
                return None
            return {**current, **waiting}

        try:
            await self.lease(namespace, service).annotate(newer)
        except KubernetesError as error:
            logger.warning(
                "Recording a waiting deploy on %s failed: %s", service, error
            )

    async def forget_waiting(
        self, namespace: str, service: str, keys: tuple[str, ...], key: str, upto: int
    ) -> None:
        """Drop the waiting record if it names a deployment no newer than ``upto``."""

        def older(current: dict[str, str]) -> dict[str, str] | None:
            if key not in current or _as_int(current[key]) > upto:
                return None
            return {name: value for name, value in current.items() if name not in keys}

        try:
            await self.lease(namespace, service).annotate(older)
        except KubernetesError as error:
            logger.warning("Clearing a waiting deploy on %s failed: %s", service, error)

    async def _renew(self, lease: Lease, annotations: dict[str, str] | None) -> None:
        while True:
            await asyncio.sleep(self._duration / 3)
            try:
                if await lease.try_acquire(annotations) is None:
                    logger.error("Lost the Lease %s/%s.", lease.namespace, lease.name)
                    return
            except KubernetesError as error:
                logger.warning(
                    "Renewing the Lease %s/%s failed: %s",
                    lease.namespace,
                    lease.name,
                    error,
                )


async def _release(lease: Lease, clear: tuple[str, ...]) -> None:
    try:
        await lease.release(clear_annotations=clear)
    except KubernetesError as error:
        logger.warning(
            "Releasing the Lease %s/%s failed: %s", lease.namespace, lease.name, error
        )


class LeaderElector:
    """Run the leader's work on one replica at a time.

    Every replica tries to take the leader Lease every third of its duration;
    the holder renews it at the same pace and runs ``lead`` until it loses the
    Lease or stops. A stopping leader releases the Lease, so another replica
    takes over at its next try; a leader that dies is replaced once the Lease
    has expired.
    """

    def __init__(
        self,
        api: client.ApiClient,
        *,
        namespace: str,
        identity: str,
        duration_seconds: int,
        lead: Callable[[], Awaitable[None]],
    ) -> None:
        self._lease = Lease(
            api,
            namespace=namespace,
            name=LEADER_LEASE,
            identity=identity,
            duration_seconds=duration_seconds,
            labels={LOCK_LABEL: "leader"},
        )
        self._lead = lead
        self._period = duration_seconds / 3
        self._leading: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this replica runs the leader's work now."""
        return self._leading is not None and not self._leading.done()

    async def run(self) -> None:
        """Take part in the election until cancelled, then release the Lease."""
        try:
            while True:
                await self._try_once()
                await asyncio.sleep(self._period)
        finally:
            await self._stop_leading()
            await asyncio.shield(_release(self._lease, ()))

    async def _try_once(self) -> None:
        try:
            record = await self._lease.try_acquire()
        except KubernetesError as error:
            logger.warning("Leader election request failed: %s", error)
            record = None
        if record is not None and not self.is_leader:
            logger.info("Became the leader as %s.", self._lease.identity)
            self._leading = asyncio.create_task(self._lead(), name="leader-work")
        elif record is None and self.is_leader:
            logger.warning("Lost the leader Lease; stopping the leader's work.")
            await self._stop_leading()

    async def _stop_leading(self) -> None:
        if self._leading is not None:
            self._leading.cancel()
            await asyncio.gather(self._leading, return_exceptions=True)
            self._leading = None


def _as_int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0
