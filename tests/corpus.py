"""Where the shared corpus of real-world mail is: beside the project, read in place, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("MAILD_TEST_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")


def require_corpus() -> Path:
    """A developer without the corpus skips its tests; CI always has it, so there a missing corpus
    fails them instead of passing in silence."""
    if not CORPUS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no corpus at {CORPUS}: CI runs with shared/ beside the project")
        pytest.skip(f"no corpus at {CORPUS}")
    return CORPUS
