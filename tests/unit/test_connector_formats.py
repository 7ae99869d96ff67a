"""The shared field helpers in connectors/formats: one copy each, the same rule in every format."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from connectors.ameripol import AmeripolConnector
from connectors.base import ConnectorError, RawRecord
from connectors.formats.fields import (
    Fields,
    choice,
    code_word,
    full_date,
    next_midnight,
    orgs,
)
from gateway.contract import MsgType, Org, PartialDate

_TABLE = {"ANNULEE": "cancel", "ACTIVE": "live", "RETENER_Y_CONTACTAR": "hold"}


@pytest.mark.parametrize(
    ("written", "meant"),
    [("annulée", "cancel"), ("ANNULÉE", "cancel"), (" Active ", "live"),
     ("retener y contactar", "hold"), ("Retener-y-Contactar", "hold")],
)  # fmt: skip
def test_choice_ignores_case_accents_and_word_separators(written: str, meant: str) -> None:
    """A code word typed with or without its accent, in any case, is the same word."""
    assert choice(Fields({"k": written}), "k", _TABLE) == meant


def test_choice_refuses_an_unknown_word_and_uses_its_default() -> None:
    """An unknown word is unknown_code naming the allowed words; an absent one the default."""
    with pytest.raises(ConnectorError) as info:
        choice(Fields({"k": "annulled"}), "k", _TABLE)
    assert info.value.reasons[0].code == "unknown_code"
    assert "ANNULEE" in info.value.reasons[0].message
    assert choice(Fields({}), "k", _TABLE, "live") == "live"


def test_code_word_spelling() -> None:
    """Accents dropped, upper case, every run of other characters one underscore."""
    assert code_word("Captura extradición") == "CAPTURA_EXTRADICION"
    assert code_word("  d'urgence ") == "D_URGENCE"


def test_every_format_folds_accents_in_its_code_words() -> None:
    """AMERIPOL (not only AFRIPOL) reads an accented code word: 'Cancelàda' as CANCELADA."""
    connector = AmeripolConnector()
    record = next(iter(connector.split(connector.sample_path().read_bytes(), "sample")))
    data = orjson.loads(record.data)
    data["estado"] = "Cancelàda"
    data["revision"] = 2
    alert = connector.to_alert(RawRecord("AMERIPOL", "t", 0, orjson.dumps(data)))
    assert alert.envelope.msg_type is MsgType.CANCEL


def test_nested_and_orgs() -> None:
    """A nested object keeps the full path in errors; organization codes come from Org."""
    f = Fields({"diffusion": {"organisations": ["interpol", "EUROPOL", "INTERPOL"]}, "x": 1})
    inner = f.nested("diffusion")
    assert inner is not None
    assert orgs(inner, "organisations") == (Org.INTERPOL, Org.EUROPOL)
    assert f.nested("missing") is None
    assert orgs(None, "organisations") == ()
    with pytest.raises(ConnectorError) as info:
        f.nested("x")
    assert info.value.reasons[0].code == "wrong_type"
    with pytest.raises(ConnectorError) as bad:
        orgs(Fields({"o": ["NOPOL"]}, "diffusion"), "o")
    assert bad.value.reasons[0].path == "diffusion.o"


def test_full_date_and_next_midnight() -> None:
    """A validity date must be complete and ends at the next midnight in the record's zone."""
    f = Fields({})
    complete = PartialDate(year=2030, month=2, day=28)
    assert full_date(f, "d", complete, "dd/mm/yyyy") == date(2030, 2, 28)
    assert full_date(f, "d", None, "dd/mm/yyyy") is None
    with pytest.raises(ConnectorError, match="full dd/mm/yyyy"):
        full_date(f, "d", PartialDate(year=2030, month=2), "dd/mm/yyyy")
    end = next_midnight(f, "d", date(2030, 2, 28), UTC)
    assert end == datetime(2030, 3, 1, tzinfo=UTC)
    assert next_midnight(f, "d", None, UTC) is None
    with pytest.raises(ConnectorError, match="out of range"):
        next_midnight(f, "d", date.max, UTC)
