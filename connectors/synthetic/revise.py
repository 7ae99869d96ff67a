"""What an organization changes when it revises an alert, independent of how its format writes it.

Shared by the INTERPOL, EUROPOL, FRONTEX, AMERIPOL, AFRIPOL and ASEANAPOL generators: the
labels a narrowing or a raise to TLP:RED leaves (in ISO alpha-3), the next stamp of a
revision (always at least a second later, so stamp-derived versions grow), expiries that
must stay after the revision's stamp, and the small shares of generated alerts the exercise
needs (short expiries, offences the neutrality review holds).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pycountry

from connectors.base import Connector, ConnectorError, RawRecord, Revision
from gateway.contract import AnyAlert, Envelope, MsgType, Tlp

__all__ = [
    "MEMBERS",
    "Labels",
    "alpha2",
    "current_alert",
    "kept_expiry",
    "next_stamp",
    "revised_labels",
    "short_expiry",
    "takes_review_offence",
    "tlp_word",
]

# Member countries (alpha-3) each organization names when it releases to or denies a few:
# the countries its generator draws from, every one a member in deploy/policy.toml.
MEMBERS: dict[str, tuple[str, ...]] = {
    "INTERPOL": ("FRA", "DEU", "ESP", "ITA", "RUS", "TUR", "IRQ", "SYR", "TUN", "MAR", "NGA",
                 "BRA", "MEX", "COL", "ALB", "UKR", "PAK", "PHL", "KAZ", "USA"),
    "EUROPOL": ("NLD", "DEU", "FRA", "BEL", "ESP", "ITA", "GRC", "POL", "ROU", "SWE", "AUT",
                "PRT", "CZE", "ALB"),
    "FRONTEX": ("ESP", "ITA", "GRC", "PRT", "NLD", "BEL", "MLT", "FRA", "DEU", "POL", "HRV"),
    "AMERIPOL": ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "ECU", "SLV", "GTM", "HND", "MEX",
                 "PAN", "PRY", "PER", "DOM", "URY"),
    "AFRIPOL": ("CIV", "SEN", "MLI", "BFA", "NER", "TCD", "CMR", "COD", "COG", "GAB", "GIN",
                "BEN", "TGO", "MRT", "DZA", "MAR", "TUN", "MDG", "CAF", "BDI", "RWA", "DJI"),
    "ASEANAPOL": ("VNM", "THA", "IDN", "MMR", "MYS", "SGP", "KHM", "PHL", "LAO", "BRN"),
}  # fmt: skip
_TLP_WORDS = {
    Tlp.CLEAR: "CLEAR", Tlp.GREEN: "GREEN", Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER+STRICT", Tlp.RED: "RED",
}  # fmt: skip
_SHORT_EXPIRY_SHARE = 0.03
_REVIEW_SHARE = 0.02


@dataclass(frozen=True)
class Labels:
    """The releasability of one revision: TLP and alpha-3 release and deny lists."""

    tlp: Tlp
    release: tuple[str, ...]
    deny: tuple[str, ...]


def tlp_word(tlp: Tlp) -> str:
    """A TLP label as the formats write it ('AMBER+STRICT', not 'AMBER_STRICT')."""
    return _TLP_WORDS[tlp]


def alpha2(code3: str) -> str:
    """ISO alpha-2 of an alpha-3 code ('FRA' -> 'FR'; Kosovo 'XKX' -> 'XK')."""
    if code3 == "XKX":
        return "XK"
    country = pycountry.countries.get(alpha_3=code3)
    if country is None:
        raise ValueError(f"{code3} is not an ISO 3166-1 alpha-3 code")
    return str(country.alpha_2)


def current_alert(connector: Connector, record: RawRecord, change: Revision) -> AnyAlert:
    """The alert an earlier record maps to, read from its bytes alone.

    ValueError when the connector refuses the record, or when it is a withdrawal and
    ``change`` would bring it back (only a further withdrawal may follow one).
    """
    fresh = RawRecord(record.org, record.source, record.index, record.data)
    try:
        alert = connector.to_alert(fresh)
    except ConnectorError as exc:
        raise ValueError(f"cannot revise a record the connector refuses ({exc.message})") from None
    if alert.envelope.msg_type is MsgType.CANCEL and change != "cancel":
        raise ValueError(f"{alert.envelope.alert_id} is withdrawn: it cannot be revised again")
    return alert


def next_stamp(previous: datetime, now: datetime) -> datetime:
    """The stamp of a revision: ``now`` in whole UTC seconds, but a second past ``previous``."""
    floor = previous.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return max(now.astimezone(UTC).replace(microsecond=0), floor)


def kept_expiry(
    rng: random.Random, expires_at: datetime | None, stamp: datetime, change: Revision
) -> datetime | None:
    """The expiry a revision carries: unchanged while after the stamp, else renewed or dropped.

    A revision whose expiry is not after its own stamp would be refused (expiry before
    issue): the organization renews the alert for a few months; a withdrawal carries none.
    """
    if expires_at is None or expires_at > stamp:
        return expires_at
    if change == "cancel":
        return None
    return stamp + timedelta(days=rng.randint(30, 365))


def short_expiry(rng: random.Random, now: datetime) -> datetime | None:
    """For a few percent of generated alerts, an expiry 30-120 s after ``now``; else None."""
    if rng.random() >= _SHORT_EXPIRY_SHARE:
        return None
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=rng.randint(30, 120))


def takes_review_offence(rng: random.Random) -> bool:
    """Whether a generated wanted person carries an offence the neutrality review holds."""
    return rng.random() < _REVIEW_SHARE


def revised_labels(
    rng: random.Random, envelope: Envelope, change: Revision, members: Sequence[str]
) -> Labels:
    """The labels after ``change``: narrowed, raised to RED, or as before."""
    labels = Labels(envelope.tlp, envelope.release_to_countries, envelope.deny_countries)
    if change == "narrow":
        return _narrowed(rng, labels, members, envelope.originating_country)
    if change == "raise_red":
        pool = _pool(members, labels.deny, envelope.originating_country)
        named = tuple(rng.sample(pool, rng.choice((1, 2))))
        return Labels(Tlp.RED, named, labels.deny)
    return labels


def _narrowed(rng: random.Random, labels: Labels, members: Sequence[str], origin: str) -> Labels:
    """Fewer recipients: one named country fewer, a member denied, or AMBER naming one or two.

    When a single country is named (RED or AMBER), denying another country is the only
    narrowing that keeps a recipient: the deny list grows instead.
    """
    tlp, release, deny = labels.tlp, labels.release, labels.deny
    deniable = _pool(members, deny, release, origin)
    named_only = tlp is Tlp.RED or (tlp in (Tlp.AMBER, Tlp.AMBER_STRICT) and release)
    if named_only and len(release) >= 2:
        dropped = rng.choice(release)
        return Labels(tlp, tuple(c for c in release if c != dropped), deny)
    if named_only or rng.random() < 0.5:
        return Labels(tlp, release, (*deny, rng.choice(deniable)))
    pool = _pool(members, deny)
    named = tuple(rng.sample(pool, rng.choice((1, 2))))
    return Labels(Tlp.AMBER if tlp in (Tlp.CLEAR, Tlp.GREEN) else tlp, named, deny)


def _pool(members: Sequence[str], *excluded: Sequence[str] | str) -> list[str]:
    """Members not excluded; any INTERPOL member left when an organization has none left."""
    out: set[str] = set()
    for group in excluded:
        out.update((group,) if isinstance(group, str) else group)
    pool = [m for m in members if m not in out]
    return pool or [m for m in MEMBERS["INTERPOL"] if m not in out]
