"""The knowledge base's Markdown export on disk (kb.dir): <id>.md per entry, its screenshots in <id>/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def copy_screenshots(root: Path, entry_id: int, files: list[tuple[str, Path]]) -> list[str]:
    """Copy the images beside the entry's file; returns their paths relative to `root`."""
    folder = root / str(entry_id)
    paths = []
    for name, source in files:
        if not source.exists():  # removed from the state directory by hand: the entry goes without it
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
        paths.append(f"{entry_id}/{name}")
    return paths


def write_entry(root: Path, entry_id: int, text: str) -> Path:
    """<root>/<id>.md, replaced whole (written aside, then renamed)."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"{entry_id}.md"
    partial = root / f".{entry_id}.md.partial"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return target
