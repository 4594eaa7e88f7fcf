"""Attachment files under the state directory, one folder per ticket.

Written before the database commit; named by content (a digest before the mail's own file
name) so a replayed mail rewrites the same file instead of leaving a second copy, and two
different files of one name on a ticket do not collide.
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
        # The digest in the name, not a folder of its own: a directory costs as much as the file.
        relative = Path(ticket_number) / f"{digest}-{name}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{digest}-{name}.partial")
            partial.write_bytes(payload)
            os.replace(partial, target)
        return str(relative)
