"""Realistic SCO RATS registers and their revisions for simulation and benchmarks.

See connectors.sco for the format; a revision is the same row with ``Редакция`` raised,
``Статус`` ``изменён`` (or ``отозван``), today's ``Дата`` and the changed cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

from connectors.base import RawRecord, Revision
from connectors.sco import COLUMNS, DENY_COLUMN, RELEASE_COLUMN, ZONE, ScoConnector
from connectors.synthetic.revise import (
    current_alert,
    lapse_plan,
    next_change,
    revised_labels,
    short_expiry,
    tlp_label,
)
from gateway.contract import AnyAlert, Tlp

__all__ = ["generate", "generate_register", "revise", "revise_row"]


def generate_register(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A register of ``count`` valid threat assessments, numbers unique per ``rng``."""
    return _register(
        COLUMNS, [_generate_row(rng, now, s) for s in rng.sample(range(10**10), count)]
    )


def _register(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> bytes:
    """UTF-8 with BOM and CRLF, as the office suite saves it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def _until(rng: random.Random, now: dt.datetime, until: dt.date) -> str:
    """``Действует до``: a few rows lapse 30-120 s from now (to the second), most on a day."""
    if (ends := short_expiry(rng, now)) is not None:
        return f"{ends.astimezone(ZoneInfo(ZONE)):%d.%m.%Y %H:%M:%S}"
    return until.strftime("%d.%m.%Y") if rng.random() < 0.7 else ""


_ASSESSMENTS = (
    ("Вербовка боевиков в Центральной Азии", "терроризм", "Центральная Азия",
     ("AFG", "TJK", "UZB", "KGZ")),
    ("Северный маршрут афганского героина", "незаконный оборот наркотиков",
     "Центральная Азия; Северный маршрут", ("AFG", "TJK", "KGZ", "KAZ", "RUS")),
    ("Синтетические наркотики в даркнете", "киберпреступность", "Евразия",
     ("RUS", "KAZ", "CHN")),
    ("Каналы незаконной миграции через Каспий", "незаконная миграция", "Каспийский регион",
     ("TKM", "KAZ", "RUS", "IRN")),
    ("Финансирование экстремистских ячеек", "экстремизм", "Ферганская долина",
     ("UZB", "KGZ", "TJK")),
    ("Контрабанда оружия из зон конфликтов", "незаконный оборот оружия", "Южная Азия",
     ("AFG", "PAK", "IND")),
)  # fmt: skip
_ISSUERS = ("RUS", "CHN", "KAZ", "KGZ", "TJK", "UZB", "IND", "PAK", "IRN", "BLR")
_RUSSIAN_NAMES = {"RUS": "Россия", "KAZ": "Казахстан", "UZB": "Узбекистан", "CHN": "Китай"}
_SUMMARY = (
    "По данным компетентных органов государств-членов, угроза сохраняется на высоком уровне.\n"
    "Рекомендуется усилить контроль на пунктах пропуска."
)


def _generate_row(rng: random.Random, now: dt.datetime, serial: int) -> list[str]:
    title, threat, regions, countries = rng.choice(_ASSESSMENTS)
    issuer = rng.choice(_ISSUERS)
    issued = (now - dt.timedelta(days=rng.randint(2, 300))).date()
    revision = 1 if rng.random() < 0.8 else rng.randint(2, 4)
    listed = [_RUSSIAN_NAMES.get(c, c) if rng.random() < 0.5 else c for c in countries]
    until = issued + dt.timedelta(days=rng.choice((180, 365, 730)))
    return [
        f"RATS-{issued.year}-{serial:010d}", str(revision),
        "действует" if revision == 1 else "изменён", "оценка угрозы",
        _RUSSIAN_NAMES.get(issuer, issuer), issued.strftime("%d.%m.%Y"),
        rng.choice(("ЗЕЛЁНЫЙ", "TLP:GREEN", "ЖЁЛТЫЙ", "TLP:AMBER", "TLP:CLEAR")),
        f"{title} ({issued.year})", _SUMMARY, threat, regions, "; ".join(listed),
        issued.strftime("%d.%m.%Y"), _until(rng, now, until),
    ]  # fmt: skip


_MEMBERS = sorted(_ISSUERS)  # the ten SCO members
_GRIF = {Tlp.CLEAR: "БЕЛЫЙ", Tlp.GREEN: "ЗЕЛЁНЫЙ", Tlp.AMBER: "ЖЁЛТЫЙ", Tlp.RED: "КРАСНЫЙ"}
_YEAR = dt.timedelta(days=365)


def revise_row(
    rng: random.Random,
    data: bytes,
    now: dt.datetime,
    change: Revision,
    alert: AnyAlert,
) -> bytes:
    """A register of one row revising the row in ``data`` (header and row), which maps to
    ``alert``."""
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="\t"))
    cells = dict(zip(header, row, strict=True))
    env = alert.envelope
    change = next_change(change, env)
    columns = list(header)
    if change in ("narrow", "raise_red"):
        columns += [c for c in (RELEASE_COLUMN, DENY_COLUMN) if c not in columns]
    local = now.astimezone(ZoneInfo(ZONE))
    cells["Редакция"] = str(env.version + 1)
    cells["Статус"] = "отозван" if change == "cancel" else "изменён"
    plan = lapse_plan(env.expires_at, now, change)
    cells["Дата"] = f"{local:%d.%m.%Y}"
    if plan == "drop":  # a lapsed assessment withdrawn: no validity end to state
        cells["Действует до"] = ""
    elif plan == "renew":  # revised after it lapsed: renewed for a year
        cells["Действует до"] = f"{local + _YEAR:%d.%m.%Y}"
    if change in ("update", "amend"):
        _update(rng, cells, local, grow=change == "update")
    elif change in ("narrow", "raise_red"):
        marking = revised_labels(rng, env, change, _MEMBERS)
        cells["Гриф"] = _GRIF.get(marking.tlp) or tlp_label(marking.tlp)
        cells[RELEASE_COLUMN] = "; ".join(_RUSSIAN_NAMES.get(c, c) for c in marking.release)
        cells[DENY_COLUMN] = "; ".join(_RUSSIAN_NAMES.get(c, c) for c in marking.deny)
    return _register(columns, [[cells.get(c, "") for c in columns]])


def _update(rng: random.Random, cells: dict[str, str], local: dt.datetime, *, grow: bool) -> None:
    """A realistic amendment: a revised summary, a further country (both ``grow``), or a
    longer validity."""
    choice = rng.random() if grow else 1.0
    if choice < 0.4:
        cells["Резюме"] = (
            f"{cells.get('Резюме') or _SUMMARY}\n"
            f"Дополнено {local:%d.%m.%Y}: выявлены новые каналы и лица, причастные к угрозе."
        )
    elif choice < 0.7:
        listed = [c.strip() for c in cells.get("Страны", "").split(";") if c.strip()]
        extra = [c for c in _MEMBERS if c not in listed and _RUSSIAN_NAMES.get(c) not in listed]
        cells["Страны"] = "; ".join([*listed, rng.choice(extra or _MEMBERS)])
    else:
        cells["Действует до"] = f"{local + dt.timedelta(days=rng.randint(180, 730)):%d.%m.%Y}"


def generate(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A register of ``count`` threat assessments (UTF-8 with BOM, as the suite saves it)."""
    return generate_register(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision) -> bytes:
    """The row's next revision: amended cells, a narrower or RED marking with its release
    and deny columns, or withdrawn; see docs/connectors/sco.md."""
    alert = current_alert(ScoConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_row(rng, record.data, now, change, alert)
