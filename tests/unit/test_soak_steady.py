"""The soak's steady phase, without a broker: after ``steady_after_s`` the traffic plan issues
only updates of the live alerts at the same rate (damaged payloads still flowing), before it
exactly what it issued without one; the memory check judges Frontline's processes and only
reports the exercise's own; ``--soak`` turns the steady phase on at the soak's warm-up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import gateway.simulate.exercise as exercise_module
from connectors.base import Accepted, Connector, process
from connectors.registry import all_connectors
from gateway.cli import app
from gateway.settings import Settings
from gateway.simulate.monitor import Monitor, ProcessRow
from gateway.simulate.soak import HARNESS, Soak, warmup_s
from gateway.simulate.traffic import Issue, TrafficPlan

START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
RATE = 80.0


def _connectors() -> dict[str, Connector]:
    return {c.org: c for c in all_connectors()}


def _publish(plan: TrafficPlan, issues: list[Issue], connectors: dict[str, Connector]) -> set[str]:
    """Run each payload through its connector and tell the plan what was published, as the
    exercise does (a withdrawal or a TLP:RED version is final); the alert ids published."""
    published: set[str] = set()
    for issue in issues:
        for outcome in process(connectors[issue.org], issue.payload, issue.source):
            if isinstance(outcome, Accepted):
                envelope = outcome.alert.envelope
                published.add(envelope.alert_id)
                final = envelope.msg_type.value == "CANCEL" or envelope.tlp.value == "RED"
                plan.remember(envelope.source_org.value, envelope.alert_id, outcome.record,
                              final=final)  # fmt: skip
    return published


def _live(plan: TrafficPlan) -> set[str]:
    return {alert_id for live in plan._live.values() for alert_id in live}


def _fingerprint(issues: list[Issue]) -> list[tuple[str, str, bytes, int, bool, Any]]:
    return [(i.org, i.source, i.payload, i.records, i.broken, i.change) for i in issues]


def test_after_steady_after_only_amendments_of_live_alerts_at_the_same_rate() -> None:
    """From the steady point on, every payload is an amendment (an update that adds nothing)
    of an alert already published or a damaged one, no new alert id appears, the live alerts
    stay the same ones, and the records per second stay at the rate (within the carried-over
    fraction)."""
    connectors = _connectors()
    plan = TrafficPlan(connectors, RATE, seed=11, steady_after_s=8.0)
    seen: set[str] = set()
    for second in range(8):
        issues = plan.tick(1.0, START + timedelta(seconds=second))
        assert not plan.steady(second)
        seen |= _publish(plan, issues, connectors)
    live_before = _live(plan)
    assert len(live_before) > 300
    assert live_before <= seen
    changes: Counter[Any] = Counter()
    records = broken = 0
    for second in range(8, 20):
        issues = plan.tick(1.0, START + timedelta(seconds=second))
        assert plan.steady(second)
        changes.update(i.change for i in issues if not i.broken)
        records += sum(i.records for i in issues)
        broken += sum(i.broken for i in issues)
        published = _publish(plan, issues, connectors)
        assert published <= live_before, "a new alert in the steady phase"
        assert _live(plan) == live_before
    assert set(changes) == {"amend"}
    assert abs(records - RATE * 12) <= len(connectors)
    assert broken > 0  # about 1 % of the records: damaged payloads keep flowing


def test_before_steady_after_the_plan_issues_what_it_issued_without_a_steady_phase() -> None:
    """For the same seed, the ticks before the steady point are byte for byte those of a
    plan without one (new alerts, documents, every kind of revision, damaged payloads)."""
    connectors = _connectors()
    plain = TrafficPlan(connectors, RATE, seed=5)
    steady = TrafficPlan(connectors, RATE, seed=5, steady_after_s=8.0)
    kinds: Counter[Any] = Counter()
    for second in range(8):
        now = START + timedelta(seconds=second)
        ours, theirs = steady.tick(1.0, now, elapsed_s=second), plain.tick(1.0, now)
        assert _fingerprint(ours) == _fingerprint(theirs)
        kinds.update((i.change, i.documents, i.broken) for i in ours)
        _publish(steady, ours, connectors)
        _publish(plain, theirs, connectors)
    assert (None, False, False) in kinds
    assert (None, True, False) in kinds
    assert {"cancel", "narrow"} <= {change for change, _, _ in kinds}
    after = START + timedelta(seconds=8)
    assert _fingerprint(steady.tick(1.0, after)) != _fingerprint(plain.tick(1.0, after))


def test_no_live_alert_to_update_carries_the_count_over_instead_of_a_new_alert() -> None:
    """While every live alert of an organization is being revised, the steady phase issues
    no new alert: the updates due wait (carried over, five seconds' worth at most) until a
    published revision brings an alert back."""
    connectors = {"EUROPOL": _connectors()["EUROPOL"]}
    plan = TrafficPlan(connectors, 40.0, seed=3, broken_share=0.0, steady_after_s=1.0)
    _publish(plan, plan.tick(1.0, START), connectors)  # 40 new alerts
    live = len(plan._live["EUROPOL"])
    assert live > 30
    issued: list[Issue] = []
    for second in range(1, 11):  # steady, and no revision is ever published back
        issues = plan.tick(1.0, START + timedelta(seconds=second))
        assert all(i.change == "amend" for i in issues)
        issued += issues
    assert len(issued) == live  # each live alert updated once, nothing else
    assert 40.0 * 5.0 - 1 <= plan._carry["EUROPOL"] <= 40.0 * 5.0
    _publish(plan, issued[:1], connectors)  # one update published: its alert is back
    issues = plan.tick(1.0, START + timedelta(seconds=11))
    assert [i.change for i in issues] == ["amend"]


def _rows(name: str, rss: list[float]) -> list[ProcessRow]:
    return [ProcessRow(10.0 * i, name, 1, r, 20) for i, r in enumerate(rss)]


def test_memory_check_judges_frontline_processes_and_reports_the_exercise_apart() -> None:
    """The exercise's own process growing 50 % after warm-up fails nothing but is named in
    the check's detail as not judged; a Frontline process growing 20 % fails."""
    monitor = Monitor(Settings(), dict, started=1_000.0)
    monitor.rows = _rows(HARNESS, [100.0] * 5 + [150.0] * 8) + _rows("hub", [80.0] * 13)
    monitor.rows += _rows("broker-1", [700.0] * 13)
    soak = Soak(monitor, traffic_from_s=0, traffic_s=120, rate=100)
    soak.analyse()
    memory = soak.checks()[0]
    assert memory.ok, memory.detail
    assert memory.detail.startswith("2 Frontline processes")
    assert "not judged: the exercise's own process +50.0%" in memory.detail
    assert soak.section()["not_judged"] == [HARNESS]
    monitor.rows += _rows("posts", [100.0] * 5 + [120.0] * 8)
    soak.analyse()
    memory = soak.checks()[0]
    assert not memory.ok
    assert "grew: posts +20.0%" in memory.detail


@pytest.mark.parametrize(
    ("args", "steady"),
    [
        (["--soak", "--duration", "2m"], warmup_s(120.0)),
        (["--soak", "--duration", "30m"], 300.0),
        (["--soak", "--duration", "2m", "--steady-after", "off"], None),
        (["--duration", "2m"], None),
        (["--duration", "2m", "--steady-after", "45s"], 45.0),
    ],
)
def test_simulate_steady_after_defaults_to_the_soaks_warm_up_with_soak_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], steady: float | None
) -> None:
    """``--soak`` makes the traffic steady from the soak's warm-up (a quarter, at most five
    minutes); without it never, unless ``--steady-after`` says when; 'off' turns it off."""
    configs: list[Any] = []

    class Recorder:
        def __init__(self, settings: Settings, config: Any) -> None:
            configs.append(config)

        def run(self) -> bool:
            return True

    monkeypatch.setattr(exercise_module, "Exercise", Recorder)
    result = CliRunner().invoke(app, ["simulate", *args, "--report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert configs[0].steady_after_s == steady
    assert warmup_s(120.0) == 30.0


def test_steady_amendments_keep_every_alert_the_same_size_with_rising_versions() -> None:
    """Amended again and again in the steady phase (some forty times each), the live alerts
    keep their encoded size once each was amended once (its first revision adds what any
    revision carries: the reference to the version it replaces), not one more alias, plate,
    offence or remark every time; every alert's versions rise."""
    connectors = _connectors()
    plan = TrafficPlan(connectors, 40.0, seed=13, broken_share=0.0, steady_after_s=2.0)
    size: dict[str, int] = {}
    version: dict[str, int] = {}

    def publish(issues: list[Issue]) -> None:
        for issue in issues:
            for outcome in process(connectors[issue.org], issue.payload, issue.source):
                assert isinstance(outcome, Accepted)
                envelope = outcome.alert.envelope
                assert envelope.version > version.get(envelope.alert_id, -1)
                version[envelope.alert_id] = envelope.version
                size[envelope.alert_id] = len(outcome.value)
                final = envelope.msg_type.value == "CANCEL" or envelope.tlp.value == "RED"
                plan.remember(envelope.source_org.value, envelope.alert_id, outcome.record,
                              final=final)  # fmt: skip

    for second in range(12):  # two seconds of new alerts, then each amended a few times
        publish(plan.tick(1.0, START + timedelta(seconds=second)))
    live = _live(plan)
    at_start = sum(size[a] for a in live)
    for second in range(12, 90):
        publish(plan.tick(1.0, START + timedelta(seconds=second)))
    assert _live(plan) == live
    at_end = sum(size[a] for a in live)
    assert at_end < at_start * 1.03, f"{at_start} bytes of live alerts became {at_end}"
