"""The decisions (parse, screen, correlate, ticket rules) import no adapter: testable alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = ["maild.parse", "maild.charsets", "maild.charset_labels", "maild.header_decoding", "maild.message_ids",
        "maild.subjects", "maild.filenames", "maild.html_text", "maild.addresses", "maild.dates", "maild.mime_tree",
        "maild.payloads", "maild.mime_parts", "maild.screen", "maild.correlate", "maild.tickets", "maild.language"]
ADAPTERS = ["imapclient", "aiosmtplib", "peewee", "psycopg2", "maild.imap", "maild.smtp", "maild.db",
            "maild.store", "sqlite3"]


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_adapter(module: str) -> None:
    probe = f"import sys, {module}; print(' '.join(m for m in {ADAPTERS!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.split() == []
