"""The access plan derived from the topology: one principal per participant, least privilege."""

from __future__ import annotations

from gateway.kafka.access import Acl, plan_access
from gateway.topology import load_topology


def _plan() -> dict[str, set[Acl]]:
    return {p.name: set(p.acls) for p in plan_access(load_topology(), "fl.")}


def test_one_principal_per_participant() -> None:
    """Every organization, country and post of the shipped topology has exactly one principal."""
    topology = load_topology()
    names = set(_plan())
    expected = (
        {f"connector-{o.code.lower()}" for o in topology.organizations}
        | {f"node-{c.code}" for c in topology.countries}
        | {f"post-{c.code}.{p.id}" for c, p in topology.posts()}
        | {"hub", "operator"}
    )
    assert names == expected


def test_nobody_but_the_hub_reads_ingress_or_uses_hub_transactions() -> None:
    """Only the hub reads ingress topics and holds the ``<prefix>hub-`` transactional ids."""
    for name, acls in _plan().items():
        reads_ingress = any(
            a.operation == "read" and a.name.startswith("fl.ingress.") for a in acls
        )
        hub_txn = any(a.resource == "transactional_id" and a.name == "fl.hub-" for a in acls)
        assert reads_ingress == hub_txn == (name == "hub"), name


def test_node_and_post_stay_in_their_country() -> None:
    """node-FRA reads only FRA's national and up topics and writes FRA's feeds by prefix;
    a post reads its feed."""
    plan = _plan()
    node = plan["node-FRA"]
    assert {a.name for a in node if a.operation == "read" and a.resource == "topic"} == {
        "fl.ncb.FRA",
        "fl.up.FRA",
    }
    assert Acl("node-FRA", "topic", "prefixed", "fl.post.FRA.", "write") in node
    assert Acl("node-FRA", "transactional_id", "prefixed", "fl.node-fl.ncb.FRA-", "write") in node
    post = plan["post-FRA.CDG"]
    assert {a.name for a in post if a.operation == "read"} == {"fl.post.FRA.CDG"}


def test_connector_writes_only_its_ingress_and_quarantine() -> None:
    """connector-interpol may write its ingress and quarantine, and read only its outbound."""
    acls = _plan()["connector-interpol"]
    assert {a.name for a in acls if a.resource == "topic" and a.operation == "write"} == {
        "fl.ingress.interpol",
        "fl.quarantine",
    }
    assert {a.name for a in acls if a.operation == "read"} == {"fl.outbound.interpol"}
