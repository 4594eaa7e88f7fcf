"""The knowledge base as staff use it (G17), not a step: `maild kb list | show | search | publish`.
Entries are written by the timers step (a resolved #kb ticket) and published by a kb-admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..config import Config
from ..rules.kb import KbIndex
from ..store import kb
from ..store.db import transaction
from . import publish_kb_entry

SEARCH_LIMIT = 20


def entries() -> list[dict[str, Any]]:
    return kb.entries()


def entry(entry_id: int) -> dict[str, Any] | None:
    found = kb.entries(entry_id)
    return found[0] if found else None


def search(query: str) -> list[dict[str, Any]]:
    """[{id, title, score}] of the published entries that share terms with the query, best first."""
    return [{"id": hit.id, "title": hit.title, "score": hit.score}
            for hit in KbIndex(kb.published()).search(query, SEARCH_LIMIT)]


def publish(entry_id: int, by: str, config: Config, now: datetime) -> bool:
    with transaction():
        return publish_kb_entry(entry_id, by, config, now)
