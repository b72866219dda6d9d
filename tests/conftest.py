"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_fixtures() -> Path:
    """``../shared/fixtures`` beside the checkout (real files from other tools, see its README).

    Tests that need it skip with a clear reason when the folder is absent.
    """
    path = REPO_ROOT.parent / "shared" / "fixtures"
    if not path.is_dir():
        pytest.skip(f"shared fixtures not found at {path} (clone ../shared beside the repo)")
    return path
