"""The README's hand-run pipeline uses ids and names that exist in the shipped samples."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _pipeline() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Using it piece by piece") :]
    return section[section.index("```bash") : section.index("```", section.index("```bash") + 7)]


def _notices() -> list[dict[str, object]]:
    page = json.loads((ROOT / "connectors" / "samples" / "interpol.json").read_text("utf-8"))
    notices: list[dict[str, object]] = page["_embedded"]["notices"]
    return notices


def test_audited_alert_id_is_a_sample_notice() -> None:
    """`audit show ID` in the README names a notice of connectors/samples/interpol.json."""
    [alert_id] = re.findall(r'audit show "([^"]+)"', _pipeline())
    org, _, entity = alert_id.partition(":")
    assert org == "INTERPOL"
    assert entity in {n["entity_id"] for n in _notices()}


def test_screened_name_and_birth_date_are_those_of_a_sample_notice() -> None:
    """`post screen --name N --dob D` uses the name and birth date of one sample notice."""
    block = _pipeline()
    name = re.search(r'--name "([^"]+)"', block)
    dob = re.search(r"--dob (\S+)", block)
    assert name is not None
    assert dob is not None
    words = set(name.group(1).upper().split())
    matching = [
        n
        for n in _notices()
        if words == set(f"{n['forename']} {n['name']}".upper().split())
        and str(n["date_of_birth"]).replace("/", "-") == dob.group(1)
    ]
    assert len(matching) == 1


def test_the_reader_is_told_to_stop_the_background_processes() -> None:
    """Every `&` command of the pipeline is stopped again by a `kill %N` before `broker down`."""
    block = _pipeline()
    background = [line for line in block.splitlines() if re.search(r"&\s+#|&$", line)]
    kill = re.search(r"^kill (%\d(?: %\d)*)", block, re.MULTILINE)
    assert kill is not None
    assert len(kill.group(1).split()) == len(background) == 3
    assert block.index("kill %") < block.index("broker down")
