"""The shared field helpers that replaced per-connector copies: yes/no flags and JSON documents."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError
from connectors.formats.fields import Fields, flag, json_document

_OUI_NON = {"OUI": True, "NON": False}


@pytest.mark.parametrize(
    ("written", "meant"),
    [(True, True), (False, False), (None, False), ("oui", True), (" Non ", False), ("OUÍ", True)],
)
def test_flag_reads_booleans_and_the_formats_words(written: object, meant: bool) -> None:
    """A flag is a JSON boolean (absent is false) or the format's word in any case or accent."""
    assert flag(Fields({"k": written}), "k", _OUI_NON, "oui/non") is meant


@pytest.mark.parametrize("written", ["peut-être", 1, ["oui"]])
def test_flag_refuses_anything_else_as_wrong_type(written: object) -> None:
    """Any other value is a wrong_type refusal at the field's path naming the accepted words."""
    with pytest.raises(ConnectorError) as caught:
        flag(Fields({"k": written}, prefix="fiche"), "k", _OUI_NON, "oui/non")
    assert caught.value.reasons[0].code == "wrong_type"
    assert caught.value.reasons[0].path == "fiche.k"
    assert "oui/non" in caught.value.reasons[0].message


def test_json_document_refuses_bad_json_at_the_stage_given() -> None:
    """Bad JSON is a bad_json refusal at the stage named (split by default); JSON parses."""
    assert json_document(b'[1, {"a": 2}]', "payload is not JSON") == [1, {"a": 2}]
    with pytest.raises(ConnectorError) as caught:
        json_document(b"{nope", "payload is not JSON")
    assert caught.value.reasons[0].code == "bad_json"
    assert str(caught.value).startswith("split: payload is not JSON")
    with pytest.raises(ConnectorError) as parsed:
        json_document(b"{nope", "record is not JSON", stage="parse")
    assert str(parsed.value).startswith("parse: record is not JSON")
