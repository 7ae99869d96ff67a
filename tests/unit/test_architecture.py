"""Rules of the layout that lint-imports cannot see, checked by reading the source tree.

- No module under ``tests/`` imports a test module (``test_*.py``): shared helpers live in
  ``tests/support/`` and fixtures in a ``conftest.py``.
- Epoch milliseconds come from ``gateway.kafka.clock.now_ms``, not from copies of its body
  (``bench/`` may keep its own: it also measures peers that are not Frontline).
- aiokafka's private attributes are used only in ``gateway/kafka/internals.py``.

Each check returns the offending ``file:line`` so a failure says where to look.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import ROOT

SOURCES = ("gateway", "connectors", "bench", "tests")

# A copy of now_ms's body: int(time.time() * 1000), the factors either way round, or round().
EPOCH_MS = re.compile(
    r"\b(?:int|round)\(\s*(?:time\.time\(\)\s*\*\s*1_?000|1_?000\s*\*\s*time\.time\(\))\s*\)"
)
# Private attributes of aiokafka's clients, consumers and producers that gateway/kafka/
# internals.py wraps or that such a call would reach for; ``self._x`` is a class's own.
AIOKAFKA_PRIVATE = re.compile(
    r"(?<!\bself)(?<!\bcls)\._(?:client|sender|coordinator|metadata|metadata_update|fetcher"
    r"|txn_manager|transaction_manager|subscription)\b"
)
CLOCK = "gateway/kafka/clock.py"
INTERNALS = "gateway/kafka/internals.py"
HERE = "tests/unit/test_architecture.py"  # plants examples of both patterns below

# Test modules that still import another test module, being moved by their owners (the
# connector tests, issue 12): this list only shrinks, and a test fails when an entry is no
# longer needed, so it cannot go stale.
IMPORTS_PENDING: frozenset[str] = frozenset()

# Copies of now_ms's body that their owners are replacing (issue 12); the same rules.
EPOCH_MS_PENDING = frozenset(
    {
        "connectors/runtime/publisher.py",
        "connectors/runtime/watch.py",
        "connectors/runtime/workers.py",
    }
)


def python_files(root: Path) -> Iterator[Path]:
    """The Python files of the source folders under ``root``."""
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _is_test_module(module: str) -> bool:
    """``tests.<...>.test_x`` (or below it): a module pytest collects, not a helper."""
    parts = module.split(".")
    return parts[0] == "tests" and any(p.startswith("test_") for p in parts[1:])


def _absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    """The module a ``from ... import`` names, with relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of_test_modules(root: Path) -> list[str]:
    """``file:line imports module`` for every import of a test module by a module in tests/."""
    found: list[str] = []
    for path in python_files(root):
        if path.relative_to(root).parts[0] != "tests":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(node, path, root)
                targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            bad = next((t for t in targets if _is_test_module(t)), None)
            if bad is not None:
                found.append(f"{_relative(path, root)}:{node.lineno} imports {bad}")
    return found


def pattern_lines(root: Path, pattern: re.Pattern[str], allowed: set[str]) -> list[str]:
    """``file:line: text`` for every line of code matching ``pattern`` outside ``allowed``."""
    found: list[str] = []
    for path in python_files(root):
        name = _relative(path, root)
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("#") and pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def epoch_ms_copies(root: Path) -> list[str]:
    """Copies of ``now_ms``'s body outside the clock module and bench/."""
    found = pattern_lines(root, EPOCH_MS, {CLOCK, HERE})
    return [f for f in found if not f.startswith("bench/")]


def aiokafka_private_uses(root: Path) -> list[str]:
    """Uses of aiokafka's private attributes outside gateway/kafka/internals.py."""
    return pattern_lines(root, AIOKAFKA_PRIVATE, {INTERNALS, HERE})


# -- the checks on this repository -------------------------------------------------------------


def _beyond(found: list[str], pending: frozenset[str]) -> tuple[list[str], list[str]]:
    """(findings in files not pending, pending files with no finding left)."""
    files = {f.split(":", 1)[0] for f in found}
    return [f for f in found if f.split(":", 1)[0] not in pending], sorted(pending - files)


def test_no_test_module_imports_another() -> None:
    """No module under tests/ imports a test module (shared code is in tests/support/), but
    for the pending ones, each of which still does."""
    unexpected, moved = _beyond(imports_of_test_modules(ROOT), IMPORTS_PENDING)
    assert unexpected == []
    assert moved == [], "no longer import a test module: drop them from IMPORTS_PENDING"


def test_epoch_milliseconds_come_from_the_clock() -> None:
    """Epoch milliseconds are ``gateway.kafka.clock.now_ms()`` everywhere but bench/, but
    for the pending copies, each of which still exists."""
    unexpected, replaced = _beyond(epoch_ms_copies(ROOT), EPOCH_MS_PENDING)
    assert unexpected == []
    assert replaced == [], "use now_ms() now: drop them from EPOCH_MS_PENDING"


def test_aiokafka_private_api_only_in_internals() -> None:
    """aiokafka's private attributes are reached only through gateway/kafka/internals.py."""
    assert aiokafka_private_uses(ROOT) == []


# -- the checks catch what they are for ---------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checks_report_file_and_line(tmp_path: Path) -> None:
    """Planted regressions are each reported with their file and line; allowed places are not."""
    root = _tree(
        tmp_path,
        {
            "tests/unit/test_a.py": "import os\nfrom tests.unit.test_b import helper\n",
            "tests/unit/test_c.py": "from tests.integration import test_hub as base\n",
            "tests/unit/test_d.py": "from .test_b import helper\n",
            "tests/unit/test_e.py": "import tests.e2e.test_f\n",
            "tests/support/ok.py": "from tests.support.paths import ROOT\n",
            "tests/unit/test_b.py": "import time\nstamp = int(time.time()*1000)\n",
            "gateway/kafka/clock.py": "import time\nnow = int(time.time() * 1000)\n",
            "bench/peer.py": "import time\nnow = int(1000 * time.time())\n",
            "gateway/x.py": "# consumer._client is private\nmeta = consumer._client.meta\n",
            "gateway/y.py": "class A:\n    def f(self):\n        return self._client\n",
            "gateway/kafka/internals.py": "def f(c):\n    return c._client\n",
            "connectors/z.py": "ok = producer._sender is None\n",
        },
    )
    assert imports_of_test_modules(root) == [
        "tests/unit/test_a.py:2 imports tests.unit.test_b",
        "tests/unit/test_c.py:1 imports tests.integration.test_hub",
        "tests/unit/test_d.py:1 imports tests.unit.test_b",
        "tests/unit/test_e.py:1 imports tests.e2e.test_f",
    ]
    assert epoch_ms_copies(root) == ["tests/unit/test_b.py:2: stamp = int(time.time()*1000)"]
    assert aiokafka_private_uses(root) == [
        "gateway/x.py:2: meta = consumer._client.meta",
        "connectors/z.py:1: ok = producer._sender is None",
    ]
