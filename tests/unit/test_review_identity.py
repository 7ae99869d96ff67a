"""Review decisions: a rejection needs a reason, the reviewer is recorded as unauthenticated,
and the review and audit commands fail cleanly on bad input or an unreachable broker."""

from __future__ import annotations

import json

import orjson
import pytest
import typer
from typer.testing import CliRunner

from gateway.cli.audit import app as audit_app
from gateway.cli.review import _as_json
from gateway.cli.review import app as review_app
from gateway.errors import ConfigError
from gateway.hub.review import HeldAlert, ReviewDecision, checked_note, claimed_reviewer

UNREACHABLE = {"FRONTLINE_BOOTSTRAP_SERVERS": "127.0.0.1:1", "LOGNAME": "alice"}


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_reject_without_a_reason_is_refused(reason: str) -> None:
    """``review reject --reason ''`` (or blank) exits 2 before anything is published."""
    result = CliRunner().invoke(
        review_app, ["reject", "INTERPOL:R-1", "--reason", reason], env=UNREACHABLE
    )
    assert result.exit_code == 2, result.output
    assert "needs a reason" in result.output
    assert "cannot" not in result.output  # refused before any broker is contacted


def test_checked_note_strips_and_bounds() -> None:
    """A note is stripped; an overlong one or one with control characters is refused."""
    assert checked_note("  Art. 3  ", approve=False) == "Art. 3"
    assert checked_note("", approve=True) == ""
    with pytest.raises(ConfigError):
        checked_note("x" * 5000, approve=True)
    with pytest.raises(ConfigError):
        checked_note("ok\x1b[2J", approve=False)


def test_reviewer_is_the_claimed_name_and_recorded_unauthenticated() -> None:
    """The reviewer comes from LOGNAME/USER and the decision record says it is unauthenticated."""
    assert claimed_reviewer({"LOGNAME": "alice", "USER": "bob"}) == "alice"
    assert claimed_reviewer({"USER": "bob"}) == "bob"
    assert claimed_reviewer({})  # the account name when the environment names nobody
    with pytest.raises(ConfigError):
        claimed_reviewer({"LOGNAME": "x" * 200})
    record = orjson.loads(ReviewDecision("INTERPOL:R-1", 2, False, "alice", "Art. 3").to_bytes())
    assert record["reviewer"] == "alice"
    assert record["reviewer_authenticated"] is False


@pytest.mark.parametrize(
    ("app", "args", "doing"),
    [
        (review_app, ["list"], "read the review topic"),
        (review_app, ["list", "--json"], "read the review topic"),
        (audit_app, ["show", "INTERPOL:A-1"], "read the audit topic"),
        (review_app, ["approve", "INTERPOL:A-1"], "publish the review decision"),
    ],
)
def test_unreachable_broker_is_a_clean_error(app: typer.Typer, args: list[str], doing: str) -> None:
    """With no broker, ``review list``/``approve`` and ``audit show`` exit 2 with a fix."""
    result = CliRunner().invoke(app, args, env=UNREACHABLE)
    assert result.exit_code == 2, result.output
    assert doing in result.output
    assert "fix:" in result.output
    assert "Traceback" not in result.output


def test_audit_show_refuses_an_id_that_is_not_utf8() -> None:
    """An alert id argument with undecodable bytes is a clean error, not a traceback."""
    result = CliRunner().invoke(audit_app, ["show", "INTERPOL:\udcff"], env=UNREACHABLE)
    assert result.exit_code == 2, result.output
    assert "not valid UTF-8" in result.output


def test_review_list_json_shape() -> None:
    """One held alert in ``review list --json`` carries ids, codes and the recipients list."""
    held = HeldAlert(
        "INTERPOL:R-9", 2, "INTERPOL", "WANTED_PERSON", "GREEN", "offence:x", ("FRA",), 5
    )
    assert json.loads(json.dumps(_as_json(held)))["recipients"] == ["FRA"]
