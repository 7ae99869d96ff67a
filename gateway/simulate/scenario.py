"""Which countries and border posts an exercise uses, chosen so every organization has members."""

from __future__ import annotations

import random
from pathlib import Path

import tomli_w

from gateway.hub.policy.decide import Policy
from gateway.topology import Country, Topology

__all__ = ["REGIONAL_ORDER", "select_countries", "subset_topology", "write_topology"]

# Round-robin over the regional organizations so a small exercise still spans continents.
REGIONAL_ORDER = ("EUROPOL", "AFRIPOL", "AMERIPOL", "ASEANAPOL", "GCCPOL", "ECO", "AIMC", "FRONTEX")


def select_countries(topology: Topology, policy: Policy, count: int, seed: int) -> list[Country]:
    """``count`` countries of the topology, alternating between regional organizations."""
    rng = random.Random(seed)
    with_posts = [c for c in topology.countries if c.posts]
    rng.shuffle(with_posts)
    chosen: list[Country] = []
    taken: set[str] = set()
    while len(chosen) < min(count, len(with_posts)):
        progressed = False
        for org in REGIONAL_ORDER:
            members = policy.members(org)
            pick = next((c for c in with_posts if c.code in members and c.code not in taken), None)
            if pick is None:
                continue
            chosen.append(pick)
            taken.add(pick.code)
            progressed = True
            if len(chosen) == count:
                break
        if not progressed:  # countries no regional organization claims
            rest = [c for c in with_posts if c.code not in taken]
            chosen.extend(rest[: count - len(chosen)])
            break
    return chosen


def subset_topology(
    topology: Topology, policy: Policy, *, countries: int, posts_per_country: int, seed: int
) -> Topology:
    """A topology with the chosen countries, each keeping its first ``posts_per_country`` posts."""
    picked = select_countries(topology, policy, countries, seed)
    trimmed = tuple(c.model_copy(update={"posts": c.posts[:posts_per_country]}) for c in picked)
    return topology.model_copy(update={"countries": trimmed})


def write_topology(topology: Topology, path: Path) -> Path:
    """Write a topology as TOML that ``load_topology`` reads back, for the child processes."""
    data = topology.model_dump(mode="json", exclude_none=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `frontline simulate` for one exercise.\n" + tomli_w.dumps(data),
        encoding="utf-8",
    )
    return path
