"""docs/diagnosis.md says what the code does, and the diagnosis stays pure Python."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from atlas.diagnosis.rules import LIVE_FROM_DAY, RULES
from atlas.modes import MODES
from atlas.taxonomy import ATTRIBUTION

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "diagnosis.md").read_text(encoding="utf-8")
FORBIDDEN = ("slack_bolt", "slack_sdk", "sqlalchemy", "apscheduler", "bot")


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 7 and cells[0][:1].isdigit():
            rows[cells[0]] = cells
    return rows


ROWS = _rows()
GATE = {1: "always", 2: "from the rollout start", 3: "from day 30", 4: "from day 150"}


def test_the_doc_table_has_every_mode_in_atlas_order() -> None:
    assert list(ROWS) == [mode.id for mode in MODES]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_each_row_matches_its_rule(mode) -> None:
    rule = RULES[mode.id]
    _, title, source, threshold, minimum, gate, why = ROWS[mode.id]
    assert title == mode.title
    assert source == ("signal" if rule.signal else "self-assessment")
    assert threshold == rule.threshold
    assert minimum == rule.minimum
    assert gate.startswith(GATE[mode.stage] if rule.signal else "always")
    assert why.endswith(".")


def test_the_stage_gates_in_the_doc_are_the_ones_in_the_code() -> None:
    assert LIVE_FROM_DAY == {1: 0, 2: 0, 3: 30, 4: 150}
    for stage in (3, 4):
        assert f"| from day {LIVE_FROM_DAY[stage]} |" in DOC


def test_the_doc_credits_the_atlas() -> None:
    assert ATTRIBUTION in DOC


@pytest.mark.parametrize(
    "path", sorted((ROOT / "atlas").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_atlas_core_imports_no_slack_database_or_scheduler(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
