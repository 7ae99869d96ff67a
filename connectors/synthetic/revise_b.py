"""Revision helpers for the GCCPOL, AIMC, ECO, SCO and UNODC generators: markings and clocks.

Each of these formats writes a revision its own way, but the decisions behind one are
shared: which countries a narrowed or TLP:RED revision names, which later stamp a
revision carries, how often a generated alert expires within two minutes or quotes an
offence the neutrality review holds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from connectors.base import Revision
from gateway.contract import Envelope, MsgType, Tlp

__all__ = [
    "REVIEW_OFFENCES",
    "REVIEW_SHARE",
    "SHORT_EXPIRY_SHARE",
    "Marking",
    "lapse_plan",
    "later",
    "narrowed",
    "next_change",
    "raised_red",
    "short_expiry",
    "tlp_label",
]

# Share of generated wanted persons whose offence the shipped neutrality review holds, and
# of generated alerts that expire within two minutes, so an exercise sees both happen.
REVIEW_SHARE = 0.015
SHORT_EXPIRY_SHARE = 0.03
# Offences of a political, military or religious character (INTERPOL Article 3), in
# Arabic and in the English the shipped review keywords match.
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
class Marking:
    """TLP label with the countries named for release and those denied (ISO alpha-3)."""

    tlp: Tlp
    release: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def of(cls, envelope: Envelope) -> Marking:
        """The marking an alert carries now."""
        return cls(envelope.tlp, envelope.release_to_countries, envelope.deny_countries)


def narrowed(rng: random.Random, current: Marking, members: Sequence[str], issuer: str) -> Marking:
    """A marking releasing to fewer countries: AMBER naming 1-2 members, a shorter release
    list, or (when the list cannot shrink) one more denied country."""
    allowed = [m for m in members if m not in current.deny]
    if not current.release and len(allowed) > 2 and rng.random() < 0.6:
        tlp = Tlp.AMBER_STRICT if current.tlp is Tlp.AMBER_STRICT else Tlp.AMBER
        named = tuple(sorted(rng.sample(allowed, rng.randint(1, 2))))
        return Marking(tlp, named, current.deny)
    if len(current.release) >= 2:
        kept = tuple(sorted(rng.sample(current.release, len(current.release) - 1)))
        return Marking(current.tlp, kept, current.deny)
    taken = {*current.release, *current.deny, issuer}
    choices = [m for m in members if m not in taken] or [c for c in _OUTSIDERS if c not in taken]
    return Marking(current.tlp, current.release, (*current.deny, rng.choice(choices)))


def raised_red(
    rng: random.Random, current: Marking, members: Sequence[str], issuer: str
) -> Marking:
    """TLP:RED naming one or two countries: already named ones when there are, else members."""
    pool = list(current.release) or [m for m in members if m not in current.deny] or [issuer]
    named = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, 2)))))
    return Marking(Tlp.RED, named, tuple(d for d in current.deny if d not in named))


def tlp_label(tlp: Tlp) -> str:
    """The FIRST spelling of a label: ``TLP:AMBER+STRICT``, ``TLP:RED``."""
    return "TLP:" + tlp.value.replace("_", "+")


def next_change(change: Revision, current: Envelope) -> Revision:
    """The change an organization actually sends: a withdrawn alert can only be withdrawn
    again (a later withdrawal), never revived by an update or a marking change."""
    return "cancel" if current.msg_type is MsgType.CANCEL else change


def lapse_plan(
    expires_at: dt.datetime | None, now: dt.datetime, change: Revision
) -> Literal["none", "renew", "drop", "keep_dates"]:
    """What a revision made at ``now`` does about a validity that has already ended.

    An update renews it, a cancel drops it, and a marking change keeps the original issue
    date and validity, so the narrowed or RED alert stays lapsed and reaches nobody;
    ``none`` when the alert is still valid.
    """
    if expires_at is None or expires_at > now:
        return "none"
    if change == "update":
        return "renew"
    return "drop" if change == "cancel" else "keep_dates"


def later(previous: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A revision stamp: ``now``, but at least one whole second after the previous stamp."""
    floor = previous.replace(microsecond=0) + dt.timedelta(seconds=1)
    return max(now.replace(microsecond=0), floor)


def short_expiry(rng: random.Random, now: dt.datetime) -> dt.datetime:
    """An expiry 30 to 120 seconds after ``now``, to whole seconds."""
    return now.replace(microsecond=0) + dt.timedelta(seconds=rng.randint(30, 120))
