"""The post and node CLIs on a local store, without a broker."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from gateway.cli import node as node_cli
from gateway.cli import post as post_cli
from gateway.contract import AnyAlert, CommodityAlert, WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import RouteHeaders
from gateway.logconfig import configure_logging
from gateway.post import PostService
from gateway.settings import LogFormat, Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> None:
    """Log lines go to stderr as under the root command, leaving stdout to the answer."""
    configure_logging(LogFormat.JSON, "WARNING")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder whose FRA.CDG store holds the person and commodity examples."""
    service = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    records = []
    alerts: list[AnyAlert] = [
        WantedPersonAlert.model_validate(json.loads((EXAMPLES / "wanted_person.json").read_text())),
        CommodityAlert.model_validate(json.loads((EXAMPLES / "commodity.json").read_text())),
    ]
    for offset, alert in enumerate(alerts):
        headers = RouteHeaders(
            kind=alert.kind, org="INTERPOL", tlp="AMBER", status="ACTUAL", msg_type="ALERT",
            version=1,
        ).to_kafka()  # fmt: skip
        records.append(
            SimpleNamespace(
                offset=offset,
                key=alert.envelope.alert_id.encode(),
                value=encode(alert),
                headers=headers,
            )
        )
    service.feed.apply({TopicPartition(service.topic, 0): records})
    service.store.close()
    return tmp_path


def test_screen_reads_the_local_store(data_dir: Path) -> None:
    """`post screen` answers from the local store with no broker and names the subject."""
    result = runner.invoke(
        post_cli.app,
        ["screen", "FRA.CDG", "--name", "anna eriksson", "--dob", "1974", "--json"],
        env={"FRONTLINE_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["hits"][0]["subject_id"] == "INTERPOL:2025-118422"


def test_screen_object_and_watchlist(data_dir: Path) -> None:
    """`post screen-object` finds the container; `post watchlist` lists both alerts."""
    env = {"FRONTLINE_DATA_DIR": str(data_dir)}
    found = runner.invoke(
        post_cli.app, ["screen-object", "CDG", "--container", "MWCU6059784", "--json"], env=env
    )
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["hits"][0]["subject_id"] == "EUROPOL:OP-2025-0457"
    listed = runner.invoke(post_cli.app, ["watchlist", "FRA.CDG", "--json"], env=env)
    assert len(json.loads(listed.stdout)) == 2


def test_unknown_post_and_missing_store_explain_the_fix(tmp_path: Path) -> None:
    """An unknown post id and a post never started exit 2 with a hint."""
    env = {"FRONTLINE_DATA_DIR": str(tmp_path)}
    unknown = runner.invoke(post_cli.app, ["watchlist", "NOPE.NOPE"], env=env)
    assert unknown.exit_code == 2
    never = runner.invoke(post_cli.app, ["screen", "FRA.CDG", "--name", "x y"], env=env)
    assert never.exit_code == 2
    assert "frontline post run FRA.CDG" in never.output


def test_bad_birth_date_is_a_clear_error(data_dir: Path) -> None:
    """A malformed --dob is refused with the accepted formats, not a traceback."""
    result = runner.invoke(
        post_cli.app,
        ["screen", "FRA.CDG", "--name", "x", "--dob", "12/08/1974"],
        env={"FRONTLINE_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 2
    assert "YYYY" in result.output


@pytest.mark.parametrize("args", [["run"], ["run", "FRA", "--all"], ["run", "XXX"]])
def test_node_run_needs_exactly_one_known_country_or_all(args: list[str]) -> None:
    """`node run` refuses neither-nor, both, and countries outside the topology."""
    result = runner.invoke(node_cli.app, args)
    assert result.exit_code == 2
    assert "error" in result.output
