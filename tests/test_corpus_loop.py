"""Every real-world mail of the shared corpus goes through the whole loop: stored, processed,
never lost, and its bounces and auto-replies get no acknowledgement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maild.app import App
from maild.config import load_config
from maild.parsing import message_key
from maild.store import queries
from maild.store.db import transaction
from maild.store.inbound import FetchedMail, store_fetched
from maild.store.models import Inbound, Outbound
from maild.testing.configs import local_config

from .corpus import CORPUS, require_corpus

# Labelled bounces that a person forwarded ("Fwd: Returned mail"): a customer asking for help.
FORWARDED_BY_A_PERSON = {"sisimai-set-of-emails/err/make-test-36.eml"}


def corpus_files() -> list[tuple[Path, dict]]:
    labels = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line]
    return [(CORPUS / label["path"], label) for label in labels]


@pytest.fixture
def corpus_app(dovecot, smtp_sink, state_dir, clock):
    require_corpus()
    # Generous rate limit: the corpus reuses a few sender addresses hundreds of times.
    text = local_config(dovecot, smtp_sink, f"sqlite:///{state_dir / 'maild.db'}", state_dir,
                        screen={"auto_reply_limit": 100000})
    (state_dir / "maild.toml").write_text(text, encoding="utf-8")
    app = App(load_config(state_dir / "maild.toml"), clock)
    yield app
    app.close()


def test_every_corpus_mail_is_stored_and_processed_and_machines_get_no_answer(corpus_app, dovecot,
                                                                               smtp_sink) -> None:
    files = corpus_files()
    raws = [path.read_bytes() for path, _ in files]
    refused = dict(dovecot.append_many(raws, allow_refused=True))
    # IMAP cannot carry a zero-byte message; such a file is stored as a fetch would store it.
    assert all(raws[index] == b"" for index in refused)
    with transaction():
        store_fetched("corpus", [FetchedMail(0, message_key(raws[i]), raws[i]) for i in refused],
                      corpus_app.clock.now())
    result = corpus_app.once()

    # Keys of the bytes as IMAP serves them (Dovecot ends lines with CRLF), file by file.
    served = iter(dovecot.fetch_raw())
    keys = [message_key(raws[i] if i in refused else next(served)) for i in range(len(raws))]
    assert len(set(keys)) == Inbound.select().count() == result.processed
    status = queries.status()
    assert status["pending"] == 0
    assert status["quarantined"] == 0, queries.quarantined()

    acknowledged = {row.dedupe_key.removeprefix("ack:") for row in Outbound.select(Outbound.dedupe_key)}
    machine_keys = {key for key, (_, label) in zip(keys, files)
                    if (label["bounce"] or label["auto_reply"]) and label["path"] not in FORWARDED_BY_A_PERSON}
    human_keys = {key for key, (_, label) in zip(keys, files) if not (label["bounce"] or label["auto_reply"])}
    answered_machines = sorted(str(path) for key, (path, label) in zip(keys, files)
                               if key in machine_keys - human_keys and key in acknowledged)
    assert answered_machines == []
    print(f"\ncorpus: {len(files)} files, {len(set(keys))} distinct mails, "
          f"{status['screened']} screened, {len(acknowledged)} acknowledged, "
          f"{len(machine_keys)} labelled bounce/auto-reply")
