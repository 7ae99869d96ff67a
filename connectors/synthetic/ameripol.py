"""Realistic AMERIPOL exports and their revisions, for simulation and benchmarks.

See connectors.ameripol for the format; a revision is the alert at its next ``revision``,
VIGENTE with changed details or labels, or CANCELADA without its subject.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from connectors.ameripol import AmeripolConnector
from connectors.base import RawRecord, Revision
from connectors.synthetic.revise import (
    MEMBERS,
    current_alert,
    kept_expiry,
    next_change,
    next_stamp,
    revised_labels,
    short_expiry,
    takes_review_offence,
    tlp_word,
)
from gateway.contract import Envelope, Org
from gateway.contract.identifiers import imo_check_digit, iso6346_check_digit

__all__ = ["generate", "generate_document", "revise", "revise_alert"]


def generate_document(rng: random.Random, count: int, now: datetime) -> bytes:
    """One AMERIPOL-SIA/1 document with ``count`` valid alerts, ids unique per ``rng``."""
    serials = rng.sample(range(10**9), count)
    alerts = [_gen_alert(rng, serial, now) for serial in serials]
    return orjson.dumps({"formato": "AMERIPOL-SIA/1", "alertas": alerts})


_MEMBERS = {
    "ARG": "America/Argentina/Buenos_Aires", "BOL": "America/La_Paz", "BRA": "America/Sao_Paulo",
    "CHL": "America/Santiago", "COL": "America/Bogota", "CRI": "America/Costa_Rica",
    "ECU": "America/Guayaquil", "SLV": "America/El_Salvador", "GTM": "America/Guatemala",
    "HND": "America/Tegucigalpa", "MEX": "America/Mexico_City", "PAN": "America/Panama",
    "PRY": "America/Asuncion", "PER": "America/Lima", "DOM": "America/Santo_Domingo",
    "URY": "America/Montevideo",
}  # fmt: skip
_GIVEN_M = ("Juan Carlos", "José Luis", "Luis Fernando", "Carlos Andrés", "Jorge Eliécer",
            "Miguel Ángel", "Óscar Iván", "Julián", "Andrés Felipe", "Héctor", "Raúl",
            "Sebastián", "Diego Alejandro", "Víctor Hugo", "Jhon Jairo")  # fmt: skip
_GIVEN_F = ("María José", "Ana Lucía", "Luz Marina", "Sofía", "Valentina", "Gabriela",
            "Claudia Patricia", "Mónica", "Yesenia", "Paola Andrea", "Ximena")  # fmt: skip
_SURNAMES = ("Rodríguez", "González", "Pérez", "Martínez", "García", "López", "Hernández",
             "Ramírez", "Sánchez", "Torres", "Díaz", "Vargas", "Castillo", "Jiménez", "Rojas",
             "Muñoz", "Gutiérrez", "Ortiz", "Moreno", "Peña", "de la Cruz", "Núñez", "Quispe",
             "Mamani", "Chávez", "Zúñiga", "Ibáñez", "Cárdenas", "Villalobos",
             "Echeverría")  # fmt: skip
_BR_GIVEN_M = ("João Pedro", "Luiz Henrique", "Thiago", "Rafael", "Marcelo", "André Luís")
_BR_GIVEN_F = ("Ana Paula", "Fernanda", "Juliana", "Camila", "Letícia", "Beatriz")
_BR_SURNAMES = ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida",
                "Carvalho", "Gonçalves", "Ribeiro", "Araújo", "Lima", "Barbosa")  # fmt: skip
_OFFENCES = ("Tráfico de estupefacientes", "Homicidio agravado", "Secuestro extorsivo",
             "Lavado de activos", "Concierto para delinquir", "Trata de personas",
             "Tráfico de armas de fuego", "Extorsión", "Financiación del terrorismo")  # fmt: skip
# Offences the neutrality review holds ("subversion" is the same word in its English list).
_REVIEW_OFFENCES = ("Subversión contra el orden constitucional", "Asociación para la subversión")
_MOTIVES = (("CAPTURA_EXTRADICION", "CAPTURAR", 60), ("LOCALIZACION", "RETENER_Y_CONTACTAR", 15),
            ("ADVERTENCIA", "CONTROL_DISCRETO", 12), ("DESAPARECIDO", "INFORMAR", 8),
            ("COMBATIENTE_TERRORISTA_EXTRANJERO", "NEGAR_INGRESO", 5))  # fmt: skip
_PLACES = {"COL": "Medellín", "MEX": "Culiacán", "PER": "Lima", "BRA": "São Paulo",
           "ECU": "Guayaquil", "ARG": "Rosario", "BOL": "Santa Cruz de la Sierra",
           "GTM": "Ciudad de Guatemala", "HND": "San Pedro Sula",
           "PRY": "Pedro Juan Caballero"}  # fmt: skip
_PORTS_FROM = (("COL", "COBUN"), ("COL", "COCTG"), ("ECU", "ECGYE"), ("BRA", "BRSSZ"),
               ("PER", "PECLL"), ("BRA", "BRPNG"))  # fmt: skip
_PORTS_VIA = (("PAN", "PAMIT"), ("PAN", "PABLB"), ("DOM", "DOCAU"), ("MEX", "MXZLO"))
_PORTS_TO = (("NLD", "NLRTM"), ("BEL", "BEANR"), ("ESP", "ESALG"), ("ESP", "ESVLC"),
             ("DEU", "DEHAM"), ("FRA", "FRLEH"), ("ITA", "ITGOA"))  # fmt: skip
_OWNERS = ("MSCU", "MAEU", "CMAU", "HLBU", "ONEU", "ZIMU", "SUDU", "TGHU")
_CONCEALMENT = ("Doble fondo en contenedor refrigerado", "Entre cajas de banano",
                "Gancho ciego (rip-off) en la puerta del contenedor", "Caja de mar del buque",
                "Dentro de sacos de café de exportación")  # fmt: skip


_STAMP = "%d/%m/%Y %H:%M:%S"


def _weighted(rng: random.Random, table: Mapping[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _fmt_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _gen_person(rng: random.Random, origin: str, now: datetime) -> dict[str, Any]:
    brazil = origin == "BRA"
    female = rng.random() < 0.22
    if brazil:
        given = rng.choice(_BR_GIVEN_F if female else _BR_GIVEN_M)
        paternal, maternal = rng.sample(_BR_SURNAMES, 2)
    else:
        given = rng.choice(_GIVEN_F if female else _GIVEN_M)
        paternal, maternal = rng.sample(_SURNAMES, 2)
    born = now.date() - timedelta(days=rng.randint(18 * 365, 65 * 365))
    dob = _fmt_date(born)
    if rng.random() < 0.1:
        dob = f"00/00/{born.year}"
    motive, action, _ = rng.choices(_MOTIVES, weights=[m[2] for m in _MOTIVES])[0]
    issued = now.date() - timedelta(days=rng.randint(30, 8 * 365))
    passport = {
        "tipo": "PASAPORTE", "pais_emisor": origin,
        "numero": f"{rng.choice('ABCEFGHKLMNPRSTUV')}{rng.choice('ABCEFGHKLMNPRSTUV')}"
        f"{rng.randrange(10**6, 10**7)}",
        "fecha_expedicion": _fmt_date(issued),
        "fecha_vencimiento": _fmt_date(issued + timedelta(days=3652)),
    }  # fmt: skip
    person: dict[str, Any] = {
        "nombres": given, "apellido_paterno": paternal, "apellido_materno": maternal,
        "sexo": "F" if female else "M", "fecha_nacimiento": dob,
        "lugar_nacimiento": _PLACES.get(origin), "pais_nacimiento": origin,
        "nacionalidades": [origin], "documentos": [passport] if rng.random() < 0.7 else [],
        "rasgos": {"estatura_cm": rng.randint(150, 192), "peso_kg": rng.randint(50, 110),
                   "color_ojos": rng.choice(["café", "negro", "verde", "miel"]),
                   "color_cabello": rng.choice(["negro", "castaño", "canoso"])},
        "motivo": motive, "delitos": _offences(rng, motive), "accion": action,
        "armado": rng.random() < 0.3, "violento": rng.random() < 0.25,
    }  # fmt: skip
    if rng.random() < 0.2:
        person["alias"] = [f"Alias {rng.choice(['El Flaco', 'Chucho', 'El Paisa', 'La Negra'])}"]
    return person


def _offences(rng: random.Random, motive: str) -> list[str]:
    if motive == "CAPTURA_EXTRADICION" and takes_review_offence(rng):
        return [rng.choice(_REVIEW_OFFENCES)]
    return rng.sample(_OFFENCES, rng.randint(1, 3))


def _container(rng: random.Random) -> str:
    prefix = f"{rng.choice(_OWNERS)}{rng.randrange(10**6):06d}"
    return f"{prefix}{iso6346_check_digit(prefix)}"


def _gen_goods(rng: random.Random) -> dict[str, Any]:
    kg = rng.uniform(40, 3200)
    text = f"{kg:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    (o_cc, o_loc), (v_cc, v_loc), (d_cc, d_loc) = (
        rng.choice(_PORTS_FROM), rng.choice(_PORTS_VIA), rng.choice(_PORTS_TO),
    )  # fmt: skip
    imo = f"9{rng.randrange(10**5):05d}"
    return {
        "categoria": "DROGAS", "tipo_droga": "COCAINA", "sustancia": "Clorhidrato de cocaína",
        "cantidad": text, "unidad": "KG",
        "medios": [{"tipo": "CONTENEDOR", "identificador": _container(rng)},
                   {"tipo": "BUQUE_IMO", "identificador": f"{imo}{imo_check_digit(imo)}"}],
        "ruta": {"origen": {"pais": o_cc, "locode": o_loc},
                 "transito": [{"pais": v_cc, "locode": v_loc}] if rng.random() < 0.5 else [],
                 "destino": {"pais": d_cc, "locode": d_loc}},
        "ocultamiento": rng.choice(_CONCEALMENT),
        "accion": _weighted(rng, {"INCAUTAR": 55, "ENTREGA_VIGILADA": 20, "INSPECCIONAR": 25}),
    }  # fmt: skip


def _gen_alert(rng: random.Random, serial: int, now: datetime) -> dict[str, Any]:
    origin = rng.choice(list(_MEMBERS))
    zone = ZoneInfo(_MEMBERS[origin])
    stamp = (now - timedelta(hours=2, minutes=rng.randint(0, 72 * 60))).astimezone(zone)
    person = rng.random() < 0.7
    roll = rng.random()
    revision, state = (1, "VIGENTE") if roll < 0.85 else (rng.randint(2, 4), "VIGENTE")
    if roll > 0.95:
        state = "CANCELADA"
    tlp = _weighted(rng, {"TLP:CLEAR": 4, "TLP:GREEN": 45, "TLP:AMBER": 36,
                          "TLP:AMBER+STRICT": 10, "TLP:RED": 5})  # fmt: skip
    handling = _weighted(rng, {"H0": 70, "H1": 15, "H2": 10, "H3": 5})
    alert: dict[str, Any] = {
        "id_alerta": f"{origin}-{now.year}-{serial:09d}", "revision": revision, "estado": state,
        "tipo": "PERSONA" if person else "MERCANCIA", "modo": "REAL",
        "actualizado": stamp.strftime(_STAMP), "zona_horaria": _MEMBERS[origin],
        "pais_origen": origin, "clasificacion": tlp, "codigo_manejo": handling,
        "confiabilidad_fuente": _weighted(rng, {"A": 20, "B": 55, "C": 15, "X": 10}),
        "exactitud_informacion": _weighted(rng, {"1": 20, "2": 45, "3": 25, "4": 10}),
        "base_legal": "Estatuto de AMERIPOL, art. 3; Memorando INTERPOL-AMERIPOL 2008",
    }  # fmt: skip
    if handling == "H3":
        alert["nota_manejo"] = "No usar ante tribunales sin autorización de la fiscalía"
    if tlp == "TLP:RED":
        alert["difundir_a"] = {"paises": rng.sample(list(_MEMBERS), 2)}
    if rng.random() < 0.6:
        alert["vigencia_hasta"] = _fmt_date(stamp.date() + timedelta(days=rng.randint(90, 1800)))
    if state != "CANCELADA" and (expiry := short_expiry(rng, now)) is not None:
        alert["vigencia_hasta"] = expiry.astimezone(zone).strftime(_STAMP)
    if state != "CANCELADA":
        alert["persona" if person else "mercancia"] = (
            _gen_person(rng, origin, now) if person else _gen_goods(rng)
        )
    return alert


def revise_alert(
    rng: random.Random, alert: dict[str, Any], envelope: Envelope, now: datetime,
    change: Revision,
) -> bytes:  # fmt: skip
    """A one-alert export holding ``alert`` (whose mapping is ``envelope``) revised."""
    zone = ZoneInfo(alert["zona_horaria"])
    stamp = next_stamp(envelope.issued_at, now)
    alert["revision"] = envelope.version + 1
    alert["estado"] = "CANCELADA" if change == "cancel" else "VIGENTE"
    alert["actualizado"] = stamp.astimezone(zone).strftime(_STAMP)
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.AMERIPOL])
    alert["clasificacion"] = f"TLP:{tlp_word(labels.tlp)}"
    for key, codes in (("difundir_a", labels.release), ("no_difundir_a", labels.deny)):
        group = {k: v for k, v in (alert.get(key) or {}).items() if k != "paises"}
        if codes:
            group["paises"] = list(codes)
        alert.pop(key, None)
        if group:
            alert[key] = group
    alert.pop("vigencia_hasta", None)
    if (expiry := kept_expiry(rng, envelope.expires_at, stamp, change)) is not None:
        alert["vigencia_hasta"] = expiry.astimezone(zone).strftime(_STAMP)
    if change == "cancel":
        alert.pop("persona", None)
        alert.pop("mercancia", None)
    elif change in ("update", "amend"):
        _update_details(rng, alert, grow=change == "update")
    return orjson.dumps({"formato": "AMERIPOL-SIA/1", "alertas": [alert]})


def _update_details(rng: random.Random, alert: dict[str, Any], *, grow: bool) -> None:
    """A person is charged with one more offence (``grow``; else the last one is
    requalified); a seizure is re-weighed or (``grow``) a carrier added."""
    if isinstance(person := alert.get("persona"), dict):
        known = list(person.get("delitos") or ())
        fresh = [o for o in _OFFENCES if o not in known]
        if not grow and known:
            others = [o for o in _OFFENCES if o != known[-1]]
            person["delitos"] = [*known[:-1], rng.choice(fresh or others)]
        elif fresh:  # not grow: the first one, once
            person["delitos"] = [*known, rng.choice(fresh)]
        else:
            person["alias"] = [*(person.get("alias") or ()), f"Alias {rng.randint(2, 99)}"]
        return
    goods = alert["mercancia"]
    if rng.random() < 0.5 or not grow:
        kg = rng.uniform(40, 3200)
        goods["cantidad"] = f"{kg:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        goods["unidad"] = "KG"
    else:
        goods["medios"] = [*(goods.get("medios") or ()),
                           {"tipo": "CONTENEDOR", "identificador": _container(rng)}]  # fmt: skip


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """A realistic AMERIPOL export with ``count`` valid alerts (about 7 in 10 persons)."""
    return generate_document(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """The alert at its next ``revision``: VIGENTE with changes or labels, or CANCELADA."""
    alert = current_alert(AmeripolConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_alert(rng, orjson.loads(record.data), alert.envelope, now, change)
