"""The architecture holds: each layer imports only the layers below it, the pure layers load no
side-effect library, and only clock.py reads the wall clock (docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .layers import violations, wall_clock_reads

ROOT = Path(__file__).resolve().parents[1]
PURE_LAYERS = ("maild.parsing", "maild.rules", "maild.outgoing")
SIDE_EFFECTS = ["imapclient", "aiosmtplib", "peewee", "psycopg2", "sqlite3", "maild.store", "maild.adapters",
                "maild.steps"]


def pure_modules() -> list[str]:
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for layer in PURE_LAYERS for path in (ROOT / layer.replace(".", "/")).glob("*.py"))


def test_every_layer_imports_only_what_its_rule_allows() -> None:
    assert violations(ROOT) == []


def test_only_the_clock_reads_the_wall_clock() -> None:
    assert wall_clock_reads(ROOT) == []


@pytest.mark.parametrize("module", pure_modules())
def test_a_pure_module_loads_no_side_effect_library(module: str) -> None:
    probe = f"import sys, {module}; print(' '.join(m for m in {SIDE_EFFECTS!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.split() == []


# -- the checks catch what they are for -------------------------------------------------------

def planted(tmp_path: Path, relative: str, source: str) -> Path:
    """A copy of maild's source with one file added or replaced."""
    subprocess.run(["cp", "-r", str(ROOT / "maild"), str(tmp_path / "maild")], check=True)
    (tmp_path / relative).write_text(source, encoding="utf-8")
    return tmp_path


def test_a_rule_that_imports_the_store_is_named(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/rules/leaky.py", "from ..store.db import transaction\n")
    assert violations(root) == ["maild/rules/leaky.py:1 imports maild.store.db: rules may import only "
                                "maild.config, maild.errors, maild.parsing, maild.rules"]


def test_a_rule_that_takes_the_clock_instead_of_now_is_named(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/rules/late.py", "from ..clock import SystemClock\n")
    [problem] = violations(root)
    assert problem.startswith("maild/rules/late.py:1 imports maild.clock: rules may import only")


def test_a_module_in_no_layer_is_named(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/util.py", "from .errors import MaildError\n")
    assert violations(root) == ["maild/util.py: in no layer (docs/architecture.md lists them)"]


def test_a_step_that_imports_another_step_is_named(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/steps/timers.py", "def run(now):\n    from . import flush\n")
    assert violations(root) == ["maild/steps/timers.py:2 imports maild.steps.flush: a step never imports another step"]


def test_a_steps_views_may_import_their_step_and_no_other(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/steps/flush_views.py", "from . import flush\nfrom . import process\n")
    assert violations(root) == ["maild/steps/flush_views.py:2 imports maild.steps.process: "
                                "a step never imports another step"]


def test_the_wiring_writing_to_the_store_directly_is_named(tmp_path: Path) -> None:
    root = planted(tmp_path, "maild/cli.py", "from .store import inbound\n")
    [problem] = violations(root)
    assert problem.startswith("maild/cli.py:1 imports maild.store.inbound: wiring may import only")


@pytest.mark.parametrize("source", [
    "import time\n\ndef due():\n    return time.time()\n",
    "import datetime\n\ndef due():\n    return datetime.datetime.now()\n",
    "from datetime import datetime as dt\n\ndef due():\n    return dt.now()\n",
    "from time import time\n\ndef due():\n    return time()\n",
    "from email.utils import formatdate\n\ndef due():\n    return formatdate()\n",
    "from datetime import date\n\nTODAY = None\nfactory = date.today\n",
])
def test_a_wall_clock_read_outside_the_clock_is_named(tmp_path: Path, source: str) -> None:
    root = planted(tmp_path, "maild/rules/late.py", source)
    [problem] = wall_clock_reads(root)
    assert problem.startswith("maild/rules/late.py:4 reads the wall clock: ")
