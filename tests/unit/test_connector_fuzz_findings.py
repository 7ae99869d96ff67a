"""Regressions for what the fuzzer (``make fuzz``, bench/fuzz) found in the connectors.

Each input here once escaped a parser as an unexpected exception, so the pipeline's safety net
refused it as ``internal_error``; each must now be refused with a reason naming the problem.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.base import Refused, process
from connectors.registry import get_connector
from tests.support.paths import ROOT

SAMPLES = ROOT / "connectors" / "samples"


def _codes(org: str, payload: bytes) -> list[str]:
    """The first reason code of every refused outcome of ``payload``."""
    outcomes = list(process(get_connector(org), payload, "fuzz"))
    assert outcomes
    return [o.quarantine.reasons[0].code for o in outcomes if isinstance(o, Refused)]


def test_sco_cell_past_the_csv_limit_is_refused_as_bad_tsv() -> None:
    """A TSV cell larger than the csv module's 128 KiB field limit is refused as bad_tsv."""
    sample = (SAMPLES / "sco.tsv").read_bytes()
    at = sample.index("Возвращение".encode())
    payload = sample[:at] + b"A" * 200_000 + sample[at:]
    assert _codes("SCO", payload) == ["bad_tsv"]


def test_sco_byte_neither_utf8_nor_windows_1251_is_refused_as_bad_encoding() -> None:
    """Byte 0x98 (invalid UTF-8, undefined in Windows-1251) is refused as bad_encoding."""
    sample = (SAMPLES / "sco.tsv").read_bytes()
    at = sample.index("Возвращение".encode())
    assert _codes("SCO", sample[:at] + b"\x98" + sample[at:]) == ["bad_encoding"]


def test_europol_deep_nesting_is_refused_as_too_deep() -> None:
    """Elements nested 5,000 deep are refused as too_deep, not a recursion error."""
    sample = (SAMPLES / "europol.xml").read_bytes()
    at = sample.index(b"<umf:Header>") + len(b"<umf:Header>")
    payload = sample[:at] + b"<n>" * 5000 + b"x" + b"</n>" * 5000 + sample[at:]
    assert _codes("EUROPOL", payload) == ["too_deep"]


def _notice() -> dict[str, Any]:
    page = json.loads((SAMPLES / "interpol.json").read_text(encoding="utf-8"))
    notice: dict[str, Any] = page["_embedded"]["notices"][0]
    return notice


def test_interpol_self_link_of_the_wrong_type_is_refused_with_a_reason() -> None:
    """A notice whose ``_links.self`` is a list or a string is refused, not an internal error."""
    for odd in (["x"], "x", 3):
        notice = _notice() | {"_links": {"self": odd}}
        codes = _codes("INTERPOL", json.dumps(notice).encode())
        assert codes == ["unsupported_notice_type"], odd


def test_interpol_page_self_link_of_the_wrong_type_is_refused_with_a_reason() -> None:
    """A list page whose own ``_links.self`` is a string still splits into its notices."""
    page = json.loads((SAMPLES / "interpol.json").read_text(encoding="utf-8"))
    page["_links"] = {"self": "x"}
    codes = _codes("INTERPOL", json.dumps(page).encode())
    assert "internal_error" not in codes


def test_non_finite_revision_is_refused_as_wrong_type() -> None:
    """Text that float() reads as NaN or infinity is not a revision number."""
    page = json.loads((SAMPLES / "ameripol.json").read_text(encoding="utf-8"))
    page["alertas"] = page["alertas"][:1]
    text = json.dumps(page)
    for odd in ('"NaN"', '"Infinity"', '"1e999"', '"-inf"'):
        payload = text.replace('"revision": 1', f'"revision": {odd}', 1).encode()
        assert _codes("AMERIPOL", payload) == ["wrong_type"], odd


def test_gccpol_infinite_revision_is_refused_as_wrong_type() -> None:
    """GCCPOL's revision "1e999" (infinity once read) is refused as wrong_type."""
    text = (SAMPLES / "gccpol.json").read_text(encoding="utf-8")
    payload = text.replace('"revision": 1', '"revision": "1e999"', 1).encode()
    assert "wrong_type" in _codes("GCCPOL", payload)
    assert "internal_error" not in _codes("GCCPOL", payload)


def test_xml_declaring_an_unknown_encoding_is_refused_as_bad_xml() -> None:
    """An XML declaration naming an encoding Python does not know is refused as bad_xml."""
    for org, sample in (("AIMC", "aimc.xml"), ("EUROPOL", "europol.xml")):
        payload = (SAMPLES / sample).read_bytes().replace(b"UTF-8", b"UTF-9", 1)
        assert _codes(org, payload) == ["bad_xml"], org


def test_gccpol_date_part_of_thousands_of_digits_is_refused_as_bad_date() -> None:
    """A native date whose day runs to 70,000 digits (past Python's int conversion limit)
    is refused as bad_date, not an internal error."""
    text = (SAMPLES / "gccpol.json").read_text(encoding="utf-8")
    for value in ("1450-01-" + "9" * 70_000, "1450-" + "1" * 5000 + "-01"):
        payload = text.replace('"value": "1450-01-01"', f'"value": "{value}"', 1).encode()
        codes = _codes("GCCPOL", payload)
        assert "bad_date" in codes, value[:12]
        assert "internal_error" not in codes, value[:12]
