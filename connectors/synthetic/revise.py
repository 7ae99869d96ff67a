"""What an organization changes when it revises an alert, independent of how its format writes it.

Shared by every generator, one rule each (docs/connectors.md, "Synthetic traffic"): the
labels a narrowing or a raise to TLP:RED leaves (in ISO alpha-3), the next stamp of a
revision (at least a second later, so stamp-derived versions grow), what a revision does
about a validity that has already ended (renewed, or dropped by a withdrawal), that a
withdrawn alert is only ever withdrawn again, and the small shares of generated alerts the
exercise needs (short expiries, offences the neutrality review holds). How a format writes
each of these stays in its generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, TypeVar

import pycountry

from connectors.base import ConnectorError, RawRecord, Revision
from gateway.contract import AnyAlert, Envelope, MsgType, Org, Tlp

__all__ = [
    "MEMBERS",
    "REVIEW_OFFENCES",
    "REVIEW_SHARE",
    "SHORT_EXPIRY_SHARE",
    "Labels",
    "alpha2",
    "current_alert",
    "kept_expiry",
    "lapse_plan",
    "next_change",
    "next_stamp",
    "revised_labels",
    "short_expiry",
    "takes_review_offence",
    "tlp_label",
    "tlp_word",
]

# Generator data, not the list of organizations (that is gateway.contract.Org): the member
# countries (alpha-3) a generator draws from when an organization releases to or denies a
# few, every one a member in deploy/policy.toml. GCCPOL, AIMC, ECO, SCO and UNODC draw from
# the zones or issuers their own modules list.
MEMBERS: dict[Org, tuple[str, ...]] = {
    Org.INTERPOL: ("FRA", "DEU", "ESP", "ITA", "RUS", "TUR", "IRQ", "SYR", "TUN", "MAR", "NGA",
                 "BRA", "MEX", "COL", "ALB", "UKR", "PAK", "PHL", "KAZ", "USA"),
    Org.EUROPOL: ("NLD", "DEU", "FRA", "BEL", "ESP", "ITA", "GRC", "POL", "ROU", "SWE", "AUT",
                "PRT", "CZE", "ALB"),
    Org.FRONTEX: ("ESP", "ITA", "GRC", "PRT", "NLD", "BEL", "MLT", "FRA", "DEU", "POL", "HRV"),
    Org.AMERIPOL: ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "ECU", "SLV", "GTM", "HND", "MEX",
                 "PAN", "PRY", "PER", "DOM", "URY"),
    Org.AFRIPOL: ("CIV", "SEN", "MLI", "BFA", "NER", "TCD", "CMR", "COD", "COG", "GAB", "GIN",
                "BEN", "TGO", "MRT", "DZA", "MAR", "TUN", "MDG", "CAF", "BDI", "RWA", "DJI"),
    Org.ASEANAPOL: ("VNM", "THA", "IDN", "MMR", "MYS", "SGP", "KHM", "PHL", "LAO", "BRN"),
}  # fmt: skip
_TLP_WORDS = {
    Tlp.CLEAR: "CLEAR", Tlp.GREEN: "GREEN", Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER+STRICT", Tlp.RED: "RED",
}  # fmt: skip
# Share of generated wanted persons whose offence the shipped neutrality review holds, and
# of generated alerts that expire within two minutes, so an exercise sees both happen.
REVIEW_SHARE = 0.02
SHORT_EXPIRY_SHARE = 0.03
# Offences of a political, military or religious character (INTERPOL Article 3), in
# Arabic and in the English the shipped review keywords match; the generators of formats
# in other languages list their own.
REVIEW_OFFENCES: tuple[tuple[str, str], ...] = (
    ("إهانة رئيس الدولة", "insulting the head of state"),
    ("الفرار من الخدمة العسكرية", "desertion from military service"),
    ("التجمهر غير المشروع", "illegal assembly"),
    ("ازدراء الأديان", "blasphemy"),
    ("الردة", "apostasy"),
    ("الانتماء إلى حزب محظور", "membership of a banned party"),
)
# Deny-list fallback when every member is already named or denied: large INTERPOL members.
_OUTSIDERS = ("USA", "GBR", "FRA", "DEU", "CHN", "RUS", "IND", "BRA", "JPN", "TUR")


@dataclass(frozen=True)
class Labels:
    """The releasability of one revision: TLP and alpha-3 release and deny lists."""

    tlp: Tlp
    release: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def of(cls, envelope: Envelope) -> Labels:
        """The labels an alert carries now."""
        return cls(envelope.tlp, envelope.release_to_countries, envelope.deny_countries)


def tlp_label(tlp: Tlp) -> str:
    """The FIRST spelling of a label: ``TLP:AMBER+STRICT``, ``TLP:RED``."""
    return "TLP:" + tlp_word(tlp)


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


AlertT_co = TypeVar("AlertT_co", bound=AnyAlert, covariant=True)


class Parser(Protocol[AlertT_co]):
    """What a revision needs of a connector: reading a record back into its alert."""

    def to_alert(self, record: RawRecord) -> AlertT_co:
        """Map one record."""
        ...


def current_alert(connector: Parser[AlertT_co], record: RawRecord) -> AlertT_co:
    """The alert an earlier record maps to, read from its bytes alone.

    ValueError when the connector refuses the record: only what it published can be revised.
    """
    fresh = RawRecord(record.org, record.source, record.index, record.data)
    try:
        return connector.to_alert(fresh)
    except ConnectorError as exc:
        raise ValueError(f"cannot revise a record the connector refuses ({exc.message})") from None


def next_change(change: Revision, current: Envelope) -> Revision:
    """The change an organization actually sends: a withdrawn alert can only be withdrawn
    again (a later withdrawal), never revived by an update or a marking change."""
    return "cancel" if current.msg_type is MsgType.CANCEL else change


def next_stamp(previous: datetime, now: datetime) -> datetime:
    """The stamp of a revision: ``now`` in whole UTC seconds, but a second past ``previous``."""
    floor = previous.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return max(now.astimezone(UTC).replace(microsecond=0), floor)


def lapse_plan(
    expires_at: datetime | None, stamp: datetime, change: Revision
) -> Literal["none", "renew", "drop"]:
    """What a revision stamped ``stamp`` does about a validity that has already ended.

    A withdrawal drops it; any other revision (update, narrowing, raise to RED) renews it, so
    the revised alert is valid again from its own stamp: a record whose expiry is not after
    its issue would be refused. ``none`` when the alert is still valid.
    """
    if expires_at is None or expires_at > stamp:
        return "none"
    return "drop" if change == "cancel" else "renew"


def kept_expiry(
    rng: random.Random, expires_at: datetime | None, stamp: datetime, change: Revision
) -> datetime | None:
    """The expiry a revision carries: unchanged while after the stamp, else renewed for
    30 to 365 days or dropped (see :func:`lapse_plan`)."""
    plan = lapse_plan(expires_at, stamp, change)
    if plan == "none":
        return expires_at
    if plan == "drop":
        return None
    return stamp + timedelta(days=rng.randint(30, 365))


def short_expiry(rng: random.Random, now: datetime) -> datetime | None:
    """For a few percent of generated alerts, an expiry 30-120 s after ``now``; else None."""
    if rng.random() >= SHORT_EXPIRY_SHARE:
        return None
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=rng.randint(30, 120))


def takes_review_offence(rng: random.Random) -> bool:
    """Whether a generated wanted person carries an offence the neutrality review holds."""
    return rng.random() < REVIEW_SHARE


def revised_labels(
    rng: random.Random, envelope: Envelope, change: Revision, members: Sequence[str]
) -> Labels:
    """The labels after ``change``: narrowed, raised to RED, or as before."""
    labels = Labels.of(envelope)
    if change == "narrow":
        return _narrowed(rng, labels, members, envelope.originating_country)
    if change == "raise_red":
        return _raised_red(rng, labels, members, envelope.originating_country)
    return labels


def _narrowed(rng: random.Random, current: Labels, members: Sequence[str], issuer: str) -> Labels:
    """Fewer recipients: AMBER naming one or two members, a shorter release list, or (when
    the list cannot shrink) one more denied country."""
    allowed = [m for m in members if m not in current.deny]
    if not current.release and len(allowed) > 2 and rng.random() < 0.6:
        tlp = Tlp.AMBER_STRICT if current.tlp is Tlp.AMBER_STRICT else Tlp.AMBER
        named = tuple(sorted(rng.sample(allowed, rng.randint(1, 2))))
        return Labels(tlp, named, current.deny)
    if len(current.release) >= 2:
        kept = tuple(sorted(rng.sample(current.release, len(current.release) - 1)))
        return Labels(current.tlp, kept, current.deny)
    taken = {*current.release, *current.deny, issuer}
    choices = [m for m in members if m not in taken] or [c for c in _OUTSIDERS if c not in taken]
    return Labels(current.tlp, current.release, (*current.deny, rng.choice(choices)))


def _raised_red(rng: random.Random, current: Labels, members: Sequence[str], issuer: str) -> Labels:
    """TLP:RED naming one or two countries: already named ones when there are (a raise never
    adds a recipient), else members not denied."""
    pool = list(current.release) or [m for m in members if m not in current.deny] or [issuer]
    named = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, 2)))))
    return Labels(Tlp.RED, named, tuple(d for d in current.deny if d not in named))
