"""The simulator's wall clock, which tests can move forward to reach deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC wall clock with an offset that `advance` raises.

    Timestamps written into objects and the Deployment progress deadline use
    this clock. Delays of the kubelet use the event loop's own clock instead.
    """

    def __init__(self) -> None:
        self._offset = timedelta()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def timestamp(self) -> str:
        """Return the time in RFC 3339 with whole seconds, like metav1.Time."""
        return format_time(self.now())

    def micro_timestamp(self) -> str:
        """Return the time with exactly six fractional digits, like MicroTime."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def advance(self, seconds: float) -> None:
        """Move the clock forward and wake every controller to re-check deadlines."""
        self._offset += timedelta(seconds=seconds)
        for listener in list(self._listeners):
            listener()

    def on_advance(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp such as 2024-01-02T03:04:05Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
