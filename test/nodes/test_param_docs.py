"""docs/parameters.md is generated from the parameter tables the nodes declare; it must not go stale."""

from __future__ import annotations

from pathlib import Path

from mono_depth_ros.nodes import param_docs
from mono_depth_ros.nodes.depth_config import DEPTH_PARAMS
from mono_depth_ros.nodes.ego_motion_config import EGO_PARAMS

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_parameters_doc_is_current():
    assert param_docs.main([str(DOC), "--check"]) == 0, "run: python -m mono_depth_ros.nodes.param_docs docs/parameters.md"


def test_every_declared_parameter_has_one_row():
    text = DOC.read_text()
    for specs in (DEPTH_PARAMS, EGO_PARAMS):
        for spec in specs:
            assert f"| `{spec.name}` | " in text, spec.name
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(DEPTH_PARAMS) + len(EGO_PARAMS)


def test_check_reports_a_stale_file(tmp_path: Path, capsys):
    stale = tmp_path / "parameters.md"
    stale.write_text(DOC.read_text().replace("| `max_range_m` |", "| `max_range` |"))
    assert param_docs.main([str(stale), "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert param_docs.main([str(stale)]) == 0 and param_docs.main([str(stale), "--check"]) == 0
