"""The exercise itself: broker, topics, components, traffic, screening, drain, accounting.

Every component runs for real and talks only through Kafka: the hub, the national nodes and
the border posts as child ``frontline`` processes, the connectors inside this process (each
organization's own parser fed with its own native format). The report's counts come from
the broker itself (ingress, quarantine and audit topics) and from the posts' own answers,
not from what the traffic generator believes it sent.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import structlog
from prometheus_client import start_http_server
from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.live import Live
from rich.table import Table

from connectors.base import Accepted, Connector, process
from connectors.registry import all_connectors
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher, RunStats
from gateway.broker import LocalCluster
from gateway.contract import TravelDocumentAlert, WantedPerson, WantedPersonAlert
from gateway.contract.codec import decode_dict
from gateway.errors import ConfigError, SetupError
from gateway.hub.policy.decide import Policy, facts_from_record, load_policy
from gateway.hub.review import ReviewDecision, list_held, publish_decision
from gateway.kafka.clients import resolve_bootstrap
from gateway.kafka.clock import now_ms
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.logconfig import configure_logging
from gateway.settings import Settings
from gateway.simulate.accounting import core_checks
from gateway.simulate.collect import BrokerFacts, collect
from gateway.simulate.documents import DocumentTally, pick_planted, screen_planted
from gateway.simulate.expected import Expectation, Published, Verdict, expected_watchlists
from gateway.simulate.frontier import PostsClient, ScreeningTally, issue_tokens, pick_traveller
from gateway.simulate.processes import ComponentSet
from gateway.simulate.report import AccountingCheck, OrgCounts, Report, Series, write_report
from gateway.simulate.scenario import subset_topology, write_topology
from gateway.simulate.secure import Network, child_env, pipeline, secure_broker
from gateway.simulate.stats import quantiles
from gateway.simulate.traffic import Issue, TrafficPlan
from gateway.simulate.twoway import TwoWay, TwoWayConfig, WayResult, way_summary
from gateway.simulate.variants import Traveller, TravellerFactory
from gateway.simulate.watch import Watch, WatchConfig, extra_hubs, print_faults
from gateway.topology import Topology, load_topology

__all__ = ["Exercise", "ExerciseConfig"]


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


log = structlog.get_logger(__name__)
TICK_S = 0.25
MAX_CATCH_UP_S = 3.0  # a tick this late (a loaded machine) still issues for all of it


class ExerciseConfig(BaseModel):
    """What ``frontline simulate`` was asked to run."""

    model_config = ConfigDict(frozen=True)

    duration_s: float
    rate: float
    countries: int
    posts_per_country: int
    seed: int
    report_dir: Path
    metrics_base_port: int = 9401
    planted_share: float = 0.2
    travellers_per_s: float = 40.0
    partitions: int = 1
    drain_timeout_s: float = 90.0
    secure: bool = False  # a secured broker, one principal per process (simulate/secure.py)
    sign: bool = False  # connectors sign, the hub, nodes and posts verify (always when secure)
    split: bool = False  # a process per node and per post, as --secure runs them
    hit_share: float = 0.3  # of found planted travellers, reported as hits (simulate/twoway.py)
    ack_delay_s: float = 3.0  # originators acknowledge this long after a hit reached them
    flags: int = 3  # alerts flagged at nodes when traffic stops
    brokers: int = 1  # 3: its own three-broker local cluster, topics replicated three times
    hubs: int = 1  # hub instances (one consumer group)
    faults: tuple[str, ...] = ()  # --chaos: the faults to inject (simulate/chaos.py)
    soak: bool = False  # sample memory, files and lag; check they stay flat (simulate/soak.py)
    sample_s: float = 10.0  # how often processes are measured (--chaos, --soak)
    steady_after_s: float | None = None  # from here on only updates of live alerts (traffic.py)


@dataclass
class _Run:
    """Mutable state of one exercise run."""

    started: float = field(default_factory=time.time)
    stats: dict[str, RunStats] = field(default_factory=dict)
    issued: Counter[str] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)
    published: Published = field(default_factory=Published)
    persons: dict[str, WantedPerson] = field(default_factory=dict)
    issued_series: list[tuple[float, int]] = field(default_factory=list)
    tally: ScreeningTally = field(default_factory=ScreeningTally)
    watchlists: dict[str, dict[str, int]] = field(default_factory=dict)
    revisions: Counter[str] = field(default_factory=Counter)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # alert id -> decision
    waiting: set[str] = field(default_factory=set)  # held alerts left without a decision
    origins: dict[str, str] = field(default_factory=dict)  # alert id -> originating country
    issuers: dict[str, str] = field(default_factory=dict)  # alert id -> organization
    documents: DocumentTally = field(default_factory=DocumentTally)  # travel-document alerts


class Exercise:
    """One run of the exercise; ``run`` returns True when the accounting holds."""

    def __init__(self, settings: Settings, config: ExerciseConfig) -> None:
        self.settings = settings
        self.config = config
        self.console = Console(stderr=True)
        self.report_dir = config.report_dir.resolve()
        self.policy: Policy = load_policy(settings.policy_file)
        self.topology: Topology = subset_topology(
            load_topology(settings.topology_file), self.policy,
            countries=config.countries, posts_per_country=config.posts_per_country,
            seed=config.seed,
        )  # fmt: skip
        self.posts = [f"{c.code}.{p.id}" for c, p in self.topology.posts()]
        self.candidates = [c.code for c in self.topology.countries]
        self.run_state = _Run()
        self.kafka_version = "external broker"
        self.cluster_dir: Path | None = None
        self.broker_dir: Path | None = None  # the local cluster the exercise runs on, if any
        self.twoway: TwoWay | None = None
        self.watch: Watch | None = None

    # -- set-up --------------------------------------------------------------------------------

    def _bootstrap(self) -> str:
        """The configured broker, else the local one (started on demand); secured: its own."""
        if self.config.secure:
            self.console.print("Secured exercise: starting its SASL_SSL Apache Kafka ...")
            self.cluster_dir, bootstrap, self.kafka_version = secure_broker(self.settings.data_dir)
            return bootstrap
        if self.config.brokers == 3:  # its own cluster on free ports, left running afterwards
            self.console.print("Starting the exercise's three-broker Apache Kafka cluster ...")
            self.broker_dir = self.settings.data_dir / "broker-cluster"
            spec = LocalCluster(self.broker_dir).up(port=0, brokers=3)
            self.kafka_version = spec.kafka_version
            return spec.bootstrap
        try:
            bootstrap = resolve_bootstrap(self.settings)
        except SetupError:
            self.broker_dir = self.settings.data_dir / "broker"
            cluster = LocalCluster(self.broker_dir)
            self.console.print("No broker configured: starting the local Apache Kafka ...")
            spec = cluster.up()  # 9092 for a new cluster; a recorded one keeps its ports
            self.kafka_version = spec.kafka_version
            return spec.bootstrap
        state = LocalCluster(self.settings.data_dir / "broker").status()
        if state.running and state.bootstrap == bootstrap and state.kafka_version:
            self.kafka_version = state.kafka_version
            self.broker_dir = self.settings.data_dir / "broker"
        return bootstrap

    def _child_settings(self, bootstrap: str, prefix: str, topology_file: Path) -> Settings:
        return self.settings.model_copy(
            update={
                "bootstrap_servers": bootstrap,
                "topic_prefix": prefix,
                "topology_file": topology_file,
                "data_dir": self.report_dir / "state",
                "partitions": self.config.partitions,
            }
            # three copies and min.insync.replicas=2 on the exercise's cluster
            | ({"replication_factor": 3} if self.config.brokers == 3 else {})
        )

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> bool:
        """Run the whole exercise and write the report; True when nothing was lost."""
        # The live table is the exercise's output; components log to files under logs/.
        configure_logging(self.settings.log_format, "WARNING")
        # SIGTERM unwinds like Ctrl-C, so the child components are stopped, not orphaned.
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return asyncio.run(self._main())
        finally:
            signal.signal(signal.SIGTERM, previous)

    async def _main(self) -> bool:
        self.report_dir.mkdir(parents=True, exist_ok=True)
        # The posts' stores of an earlier run hold its alerts (other topics): start afresh.
        shutil.rmtree(self.report_dir / "state", ignore_errors=True)
        bootstrap = await asyncio.to_thread(self._bootstrap)  # broker start runs its own loop
        prefix = f"sim{int(time.time())}."
        topology_file = write_topology(self.topology, self.report_dir / "topology.toml")
        settings = self._child_settings(bootstrap, prefix, topology_file)
        net = Network(settings, self.cluster_dir)
        if self.config.secure or self.config.sign:
            net = net.with_keys(self.report_dir)
        self.console.print(
            f"Exercise on {bootstrap} (topics {prefix}*): "
            f"{len(self.topology.countries)} countries, {len(self.posts)} border posts, "
            f"{self.config.rate:g} records/s for {self.config.duration_s:g}s"
            + ("" if self.config.steady_after_s is None else
               f", steady from {self.config.steady_after_s:g}s (only updates of live alerts)")
        )  # fmt: skip
        results = await apply_topics(plan_topics(self.topology, settings), net.admin)
        failed = [r.spec.name for r in results if not r.ok]
        if failed:
            raise SetupError(f"could not create topics: {', '.join(failed[:5])}",
                             hint="check the broker log (`frontline broker logs`)")  # fmt: skip
        await net.apply_access(self.topology)
        parts, urls = pipeline(
            net, self.topology, base_port=self.config.metrics_base_port,
            host=self.settings.metrics_host, report_dir=self.report_dir,
            split=net.secure or self.config.split,
        )  # fmt: skip
        parts[1:1] = extra_hubs(parts, self.config.hubs, split=net.secure or self.config.split)
        components = ComponentSet(child_env(settings))
        watch = self.watch = Watch(
            WatchConfig(self.config.faults, self.config.soak, self.config.sample_s,
                        self.config.duration_s, self.config.rate, self.config.seed,
                        self.config.hubs),
            net.admin, components, cluster_dir=self.broker_dir,
            orgs=[c.org for c in all_connectors()], started=self.run_state.started,
        )  # fmt: skip
        try:
            for part in parts:
                await components.start(part)
            posts = PostsClient(urls, issue_tokens(settings, self.posts))
            twoway = self.twoway = TwoWay(net, self.topology, TwoWayConfig(
                self.config.hit_share, self.config.ack_delay_s, self.config.flags,
                self.settings.receipts, self.config.seed), self.run_state.origins)  # fmt: skip
            await twoway.start()
            try:
                watch.start(posts)
                await self._traffic(net, posts, components)
                await watch.finish_faults()
                await self._review(net.operator)
                state = self.run_state
                await twoway.flag_some(state.watchlists, state.persons, state.issuers,
                                       set(state.verdicts) | state.waiting)  # fmt: skip
                expectation = await self._drain(posts)
                documents = await self._screen_document(posts, expectation)
                facts = await collect(net.admin, sorted(self.run_state.stats))
                way = await twoway.account(
                    posts, names=self.posts, expected=expectation.posts, facts=facts,
                    origins=state.origins, persons=state.persons, started=state.started,
                )  # fmt: skip
                samples = await watch.stop(posts)
            finally:
                await twoway.close()
                await posts.close()
        finally:
            exits = components.stop_all()
            log.info("components_stopped", exits=exits)
            watch.save_samples(self.report_dir)
        sections, checks = await watch.conclude(samples, self.report_dir, self.topology)
        report = self._report(bootstrap, prefix, facts, expectation, samples, way=way)
        report = report.model_copy(update=sections | {
            "accounting": report.accounting + checks + documents[0],
            "screening": report.screening | {"documents": documents[1]},
        })  # fmt: skip
        json_path, html_path = write_report(report, self.report_dir)
        self._print_summary(report, json_path, html_path)
        return report.ok

    async def _traffic(self, net: Network, posts: PostsClient, parts: ComponentSet) -> None:
        connectors = {c.org: c for c in all_connectors()}
        metrics = ConnectorMetrics()
        start_http_server(
            self.config.metrics_base_port, addr="127.0.0.1", registry=metrics.registry
        )
        plan = TrafficPlan(connectors, self.config.rate, self.config.seed,
                           steady_after_s=self.config.steady_after_s)  # fmt: skip
        publishers = {
            org: Publisher(net.connector(org), c, metrics=metrics) for org, c in connectors.items()
        }
        for publisher in publishers.values():
            await publisher.start()
        rng = random.Random(self.config.seed + 1)
        factory = TravellerFactory(self.config.seed + 2)
        state = self.run_state
        started = time.monotonic()
        last_tick = started - TICK_S
        next_watch = 0.0
        try:
            with Live(self._progress(0.0), console=self.console, refresh_per_second=4) as live:
                while (elapsed := time.monotonic() - started) < self.config.duration_s:
                    down = set() if self.watch is None else self.watch.down  # --chaos: back soon
                    dead = [name for name in parts.check_alive() if name not in down]
                    if dead:
                        raise SetupError(
                            f"component(s) died: {', '.join(dead)}",
                            hint=f"read the logs in {self.report_dir / 'logs'}",
                        )
                    tick_start = time.monotonic()
                    now = datetime.now(UTC)
                    # Issue for the time that really passed, so a slow tick is caught up on.
                    span = min(MAX_CATCH_UP_S, tick_start - last_tick)
                    last_tick = tick_start
                    issues = plan.tick(span, now, elapsed_s=elapsed)
                    issued = await self._issue(plan, issues, connectors, publishers)
                    state.issued_series.append((round(elapsed, 2), int(issued / span)))
                    if elapsed >= next_watch:
                        await self._refresh_watchlists(posts)
                        next_watch = elapsed + 2.0
                    await self._screen_some(posts, rng, factory)
                    live.update(self._progress(elapsed))
                    await asyncio.sleep(max(0.0, TICK_S - (time.monotonic() - tick_start)))
        finally:
            for publisher in publishers.values():
                await publisher.stop()

    async def _issue(
        self, plan: TrafficPlan, issues: list[Issue], connectors: dict[str, Connector],
        publishers: dict[str, Publisher],
    ) -> int:  # fmt: skip
        """Publish a tick's payloads; the records issued. The organizations publish side by
        side, each in its own order: a payload waits for its broker acknowledgement, and a
        steady phase's single-record updates would otherwise hold every organization up."""
        state = self.run_state

        async def one_org(own: list[Issue]) -> int:
            issued = 0
            for issue in own:
                ingest_ms = now_ms()
                outcomes = list(process(connectors[issue.org], issue.payload, issue.source))
                report = await publishers[issue.org].publish_outcomes(outcomes, ingest_ms=ingest_ms)
                state.stats.setdefault(issue.org, RunStats()).merge(report.stats)
                state.issued[issue.org] += issue.records
                if issue.documents:
                    state.documents.issued[issue.org] += issue.records
                state.broken[issue.org] += int(issue.broken)
                issued += issue.records
                if issue.change is not None:
                    state.revisions[issue.change] += 1
                for outcome in outcomes:
                    if isinstance(outcome, Accepted):
                        self._note_published(plan, outcome)
            return issued

        by_org: dict[str, list[Issue]] = {}
        for issue in issues:
            by_org.setdefault(issue.org, []).append(issue)
        return sum(await asyncio.gather(*(one_org(own) for own in by_org.values())))

    def _note_published(self, plan: TrafficPlan, outcome: Accepted) -> None:
        kind, record = decode_dict(outcome.value)
        self.run_state.published.add(kind.value, record, datetime.now(UTC))
        envelope = outcome.alert.envelope
        self.run_state.origins[envelope.alert_id] = envelope.originating_country
        self.run_state.issuers[envelope.alert_id] = envelope.source_org.value
        if isinstance(outcome.alert, WantedPersonAlert) and outcome.alert.subject is not None:
            self.run_state.persons[envelope.alert_id] = outcome.alert.subject
        if isinstance(outcome.alert, TravelDocumentAlert):
            documents = self.run_state.documents
            documents.versions[envelope.msg_type.value] += 1
            if outcome.alert.subject is not None:
                documents.reports[envelope.alert_id] = outcome.alert.subject
        # Revise only what flows normally: not withdrawn, not RED, not waiting for review.
        decision = self.policy.decide(
            facts_from_record(kind.value, record), self.candidates, datetime.now(UTC)
        )
        final = (
            envelope.msg_type.value == "CANCEL"
            or envelope.tlp.value == "RED"
            or decision.hold_for_review is not None
        )
        plan.remember(envelope.source_org.value, envelope.alert_id, outcome.record, final=final)

    async def _refresh_watchlists(self, posts: PostsClient) -> None:
        for post in self.posts:
            try:
                self.run_state.watchlists[post] = await posts.watchlist(post)
            except httpx.HTTPError:  # a posts host killed by --chaos: the last view stays
                continue

    async def _screen_some(
        self, posts: PostsClient, rng: random.Random, factory: TravellerFactory
    ) -> None:
        count = int(self.config.travellers_per_s * TICK_S) or 1
        persons = self.run_state.persons
        travellers = []
        by_post: dict[str, list[tuple[str, WantedPerson]]] = {}  # listed persons, once a tick
        for _ in range(count):
            post = rng.choice(self.posts)
            candidates = by_post.get(post)
            if candidates is None:
                held = self.run_state.watchlists.get(post, {})
                candidates = by_post[post] = [(a, persons[a]) for a in held if a in persons]
            travellers.append((post, pick_traveller(rng, factory, self.config.planted_share,
                                                    candidates)))  # fmt: skip

        async def one(post: str, traveller: Traveller) -> None:
            answer = await posts.screen(post, traveller, self.run_state.tally)
            if self.twoway is not None:
                await self.twoway.after_screening(posts, post, traveller, answer)

        # Officers at different desks screen at once: a slow answer holds up no one else.
        await asyncio.gather(*(one(post, traveller) for post, traveller in travellers))

    async def _screen_document(
        self, posts: PostsClient, expectation: Expectation
    ) -> tuple[list[AccountingCheck], dict[str, int | float]]:
        """Screen one stolen document a subscribed post holds (simulate/documents.py): its
        check, if any, and the report's ``screening.documents``."""
        state = self.run_state
        planted = pick_planted(expectation, state.published, state.documents.reports,
                               datetime.now(UTC), self.config.seed)  # fmt: skip
        check, screened = await screen_planted(posts, planted)
        return ([] if check is None else [check]), state.documents.summary() | screened

    async def _review(self, settings: Settings) -> None:
        """Act as the neutrality reviewer: approve a third of the held alerts, reject a third,
        and leave the rest waiting (their delivered versions stay with their holders)."""
        state = self.run_state
        for index, held in enumerate(await list_held(settings)):
            if index % 3 == 2:
                state.waiting.add(held.alert_id)
                continue
            approve = index % 3 == 0
            decision = ReviewDecision(
                alert_id=held.alert_id, version=held.version, approve=approve,
                reviewer="exercise", note="simulated review" if approve else "simulated rejection",
                ts_ms=now_ms(),
            )  # fmt: skip
            try:
                await publish_decision(settings, decision)
            except ConfigError:
                continue  # superseded meanwhile
            state.verdicts[held.alert_id] = Verdict(
                held.version, approve, datetime.fromtimestamp(decision.ts_ms / 1000, UTC)
            )

    async def _drain(self, posts: PostsClient) -> Expectation:
        """Wait until every watchlist equals what policy allows, or the drain timeout."""
        deadline = time.monotonic() + self.config.drain_timeout_s
        with self.console.status("draining: waiting for watchlists and acknowledgements ..."):
            while True:
                expectation = expected_watchlists(
                    self.run_state.published, self.topology, self.policy, datetime.now(UTC),
                    self.run_state.verdicts,
                )  # fmt: skip
                await self._refresh_watchlists(posts)
                if all(
                    self.run_state.watchlists[p] == expectation.posts[p] for p in self.posts
                ) and (self.twoway is None or await self.twoway.settled(posts, self.posts)):
                    return expectation
                if time.monotonic() > deadline:
                    return expectation
                await asyncio.sleep(1.0)

    # -- report --------------------------------------------------------------------------------

    def _progress(self, elapsed: float) -> Table:
        state = self.run_state
        table = Table(title=f"Frontline exercise  {elapsed:5.1f}/{self.config.duration_s:g}s")
        for column in ("organization", "issued", "published", "quarantined"):
            table.add_column(column, justify="right")
        for org in sorted(state.stats):
            total = state.stats[org].total
            table.add_row(org, str(state.issued[org]), str(total.published), str(total.quarantined))
        held = sum(len(w) for w in state.watchlists.values())
        table.caption = (
            f"watchlist entries {held} · screenings {state.tally.queries} · "
            f"planted found {state.tally.planted_found}/{state.tally.planted}"
        )
        if self.twoway is not None:
            way = self.twoway
            table.caption += (
                f" · hits {len(way.wayback.hits)} · acknowledged {len(way.originators.acked)}"
            )
        return table

    def _report(
        self,
        bootstrap: str,
        prefix: str,
        facts: BrokerFacts,
        expectation: Expectation,
        samples: list[dict[str, Any]],
        *,
        way: WayResult,
    ) -> Report:
        state = self.run_state
        orgs: dict[str, OrgCounts] = {}
        for org, stats in sorted(state.stats.items()):
            total = stats.total
            orgs[org] = OrgCounts(
                issued=state.issued[org], published=total.published,
                quarantined=total.quarantined,
                by_kind={k: {"in": s.records_in, "published": s.published,
                             "quarantined": s.quarantined} for k, s in stats.by_kind.items()},
            )  # fmt: skip
        checks = core_checks(
            self.posts, state.published.versions, watchlists=state.watchlists, orgs=orgs,
            facts=facts, expectation=expectation,
        ) + way.checks  # fmt: skip
        t0 = state.started * 1000
        e2e = [float(s["e2e_ms"]) for s in samples if s.get("e2e_ms") is not None]
        hops: dict[str, list[float]] = {}
        for sample in samples:
            for hop, value in sample["hops"].items():
                hops.setdefault(hop, []).append(float(value))
        latency = {"end_to_end": quantiles(e2e)} | {
            f"hop {h}": quantiles(v) for h, v in hops.items()
        }
        tally = state.tally
        steady = self.config.steady_after_s
        screening: dict[str, Any] = tally.summary() | {
            "latency": quantiles(tally.latency_ms).model_dump()
        }
        return Report(
            run={
                "started": datetime.fromtimestamp(state.started, UTC).isoformat(timespec="seconds"),
                "duration_s": self.config.duration_s, "rate": self.config.rate,
                "countries": len(self.topology.countries), "posts": len(self.posts),
                "seed": self.config.seed, "kafka_version": self.kafka_version,
                "bootstrap": bootstrap, "topic_prefix": prefix,
                "commit_interval_ms": self.settings.commit_interval_ms,
                "secure": self.config.secure, "signed": self.config.secure or self.config.sign,
                "brokers": self.config.brokers, "hubs": self.config.hubs,
                "steady_after_s": "never" if steady is None else steady,
            },
            organizations=orgs,
            hub={
                "actions": dict(facts.actions),
                "deliveries_by_org": dict(facts.deliveries_by_org),
                "deliveries_by_country": dict(sorted(facts.deliveries_by_country.items())),
                "denials_by_reason": dict(facts.denials_by_reason),
                "revocations_by_reason": dict(facts.revocations_by_reason),
                "revisions_issued": dict(state.revisions),
                "review": {
                    "approved": sum(v.approve for v in state.verdicts.values()),
                    "rejected": sum(not v.approve for v in state.verdicts.values()),
                    "left_waiting": len(state.waiting),
                },
            },
            latency=latency,
            screening=screening,
            accounting=checks,
            wayback=way.section,
            series=Series(
                e2e_latency=[(round((s["at_ms"] - t0) / 1000, 3), float(s["e2e_ms"]))
                             for s in samples[-20000:] if s.get("e2e_ms") is not None],
                issued_per_second=state.issued_series,
                hop_samples_ms={h: v[-20000:] for h, v in hops.items()},
                ack_latency=way.ack_latency, receipt_coverage=way.receipt_coverage,
            ),
        )  # fmt: skip

    def _print_summary(self, report: Report, json_path: Path, html_path: Path) -> None:
        table = Table(title="Accounting")
        table.add_column("check")
        table.add_column("result")
        for check in report.accounting:
            table.add_row(check.name, "[green]pass[/]" if check.ok else "[red]FAIL[/]")
        self.console.print(table)
        e2e = report.latency.get("end_to_end")
        if e2e is not None:
            self.console.print(
                f"end-to-end latency ms: p50 {e2e.p50_ms} p95 {e2e.p95_ms} p99 {e2e.p99_ms} "
                f"max {e2e.max_ms} ({e2e.count} deliveries)"
            )
        summary = report.screening
        self.console.print(
            f"screening: {summary.get('queries')} queries, recall {summary.get('recall')}, "
            f"precision {summary.get('precision')}"
        )
        documents = summary.get("documents")
        if isinstance(documents, dict):
            self.console.print(
                f"travel documents: {documents.get('issued')} issued, "
                f"{documents.get('versions_published')} versions published; planted stolen "
                f"document found {documents.get('found', 0)}/{documents.get('screened')}"
            )
        self.console.print(way_summary(report.wayback))
        if report.chaos:
            print_faults(self.console, report.chaos)
        self.console.print(f"report: {html_path} and {json_path}")
