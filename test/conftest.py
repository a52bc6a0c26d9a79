"""Shared pytest fixtures: where the optional real data lives, and skip helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data/real; skips the test where it is absent (a user's clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (only present on the project's machines)")
    return SHARED_DATA
