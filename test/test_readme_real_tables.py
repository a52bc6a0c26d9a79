"""The README's real-frame tables carry the figures of the last full bench_real run (docs/real_benchmark.md).

bench_real.py writes docs/real_benchmark.md; the README's "On real frames" tables are copied from it by
hand, and once kept a network's rows from the weights shipped before (stage 37's li2020 beside stage 38's
motion rows). Every row of the run's depth and ego-motion tables must appear in the README with the same
cells (the README's motion table leaves out the last, "within noise", column).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rows(text: str) -> dict[tuple[str, str], list[str]]:
    """{(set, method): cells} of every markdown table row that is not a header or a rule."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("|---") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] != "set":
            rows.setdefault((cells[0], cells[1]), cells)
    return rows


def test_readme_real_tables_match_the_last_bench_real_run():
    run = _rows((ROOT / "docs" / "real_benchmark.md").read_text().split("| layout share")[0])
    readme = _rows((ROOT / "README.md").read_text())
    assert len(run) >= 15, sorted(run)  # 5 sets x 3 networks of depth, and the motion rows
    for key, cells in run.items():
        assert key in readme, f"README has no row for {key}"
        shown = readme[key]
        assert shown == cells[:len(shown)] and len(shown) >= len(cells) - 1, (key, shown, cells)
