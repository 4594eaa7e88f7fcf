"""Attachment files under the state directory, one folder per ticket.

Written before the database commit; named by content so a replayed mail rewrites the same
file instead of leaving a second copy.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, ticket_number: str, filename: str, payload: bytes) -> str:
        """Write the file; returns its path relative to the root."""
        digest = hashlib.sha256(payload).hexdigest()[:16]
        name = Path(filename).name.lstrip(".") or "attachment.bin"
        relative = Path(ticket_number) / digest / name
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{name}.partial")
            partial.write_bytes(payload)
            os.replace(partial, target)
        return str(relative)
