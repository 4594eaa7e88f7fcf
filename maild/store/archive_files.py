"""A ticket's folder in the archive on disk (G16): thread.mbox, its attachments, ticket.json.

The folder is written whole beside its place and renamed into it, so a reader (or a crash) never
sees half of one; archiving again replaces it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def mbox_entry(raw: bytes, sender: str, at: datetime) -> bytes:
    """One mail in mboxrd form: a From_ line, the mail with its "From " lines quoted, a blank line."""
    stamp = at.astimezone(timezone.utc).strftime("%a %b %d %H:%M:%S %Y")
    body = FROM_LINE.sub(rb">\1", raw)
    if not body.endswith(b"\n"):
        body += b"\n"
    return f"From {sender or 'MAILER-DAEMON'} {stamp}\n".encode() + body + b"\n"


def write_ticket_folder(target: Path, mbox: Iterable[bytes], attachments: Iterable[tuple[str, Path]],
                        document: dict[str, Any], page: str) -> None:
    """Write the folder at `target`: the thread (as mboxrd, and as the HTML `page`), the
    attachments (name → a stored file) under attachments/, and ticket.json."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.partial")
    shutil.rmtree(building, ignore_errors=True)  # a crash's leftover
    building.mkdir()
    with open(building / "thread.mbox", "wb") as out:
        for entry in mbox:
            out.write(entry)
    files = building / "attachments"
    for name, source in attachments:
        if source.exists():  # a file removed from the state directory by hand is no reason to stop
            files.mkdir(exist_ok=True)
            shutil.copyfile(source, files / name)
    (building / "thread.html").write_text(page, encoding="utf-8")
    (building / "ticket.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    old = target.with_name(f".{target.name}.old")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(building, target)
    shutil.rmtree(old, ignore_errors=True)
