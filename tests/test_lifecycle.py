"""Which standby releases the clean-up removes, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.lifecycle import choose_removals, describe_duration
from k8s.releases import Release

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def release(name: str, minutes_ago: float | None, created_minutes_ago: float = 600):
    return Release(
        namespace="ns",
        name=name,
        service="svc",
        created=NOW - timedelta(minutes=created_minutes_ago),
        unselected_at=None
        if minutes_ago is None
        else NOW - timedelta(minutes=minutes_ago),
        annotations={},
    )


def names(removals):
    return [item[0].name for item in removals]


def test_recent_standby_kept():
    assert choose_removals([release("a", 10), release("b", 50)], NOW, HOUR, 2) == []


def test_standby_past_retention_removed():
    removals = choose_removals([release("a", 10), release("b", 61)], NOW, HOUR, 2)
    assert names(removals) == ["b"]
    assert (
        removals[0][1] == "on standby for 61 min, longer than the retention of 60 min"
    )


def test_oldest_beyond_count_removed():
    standby = [release("a", 1), release("b", 2), release("c", 3), release("d", 4)]
    removals = choose_removals(standby, NOW, HOUR, 2)
    assert names(removals) == ["c", "d"]
    assert removals[0][1] == "more than 2 standby releases"


def test_zero_standby_removes_all():
    assert names(choose_removals([release("a", 1)], NOW, HOUR, 0)) == ["a"]


def test_never_selected_counts_from_creation():
    young = release("young", None, created_minutes_ago=5)
    old = release("old", None, created_minutes_ago=90)
    assert names(choose_removals([young, old], NOW, HOUR, 2)) == ["old"]


def test_zero_retention_removes_every_standby():
    assert names(choose_removals([release("a", 0.01)], NOW, timedelta(0), 2)) == ["a"]


def test_durations_read_naturally():
    assert describe_duration(timedelta(seconds=45)) == "45 s"
    assert describe_duration(timedelta(minutes=12)) == "12 min"
    assert describe_duration(timedelta(hours=3)) == "3 h"
