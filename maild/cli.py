"""The `maild` command line. Exit codes: 0 ok, 1 a fault at run time, 2 a configuration error.

Each command imports what it needs itself, so a command that reads the store does not load
Jinja2, asyncio and the IMAP and SMTP clients."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from . import __version__, formats, logs
from .clock import Clock, FrozenClock, SystemClock
from .config import PRIORITIES, Config, load_config
from .errors import ConfigError, MaildError
from .store.queries import TICKET_STATUSES

DEFAULT_CONFIG = "/etc/maild/maild.toml"
EXIT_CODES = """exit codes:
  0  done
  1  a fault at run time (the database, IMAP or SMTP server failed, or what was asked is not there)
  2  a configuration error (the key is named) or a wrong command line"""


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(args.verbose, args.debug_sql)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"maild: configuration error in {args.config}: {exc}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](config, args)
    except ConfigError as exc:  # found when a command reads what the file names (a key file)
        print(f"maild: configuration error in {args.config}: {exc}", file=sys.stderr)
        return 2
    except MaildError as exc:
        print(f"maild: {exc}", file=sys.stderr)
        return 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maild", description="An email-driven helpdesk daemon.", epilog=EXIT_CODES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--config", default=DEFAULT_CONFIG, help=f"TOML configuration (default {DEFAULT_CONFIG})")
    p.add_argument("-v", "--verbose", action="store_true", help="log maild's own detail too (DEBUG)")
    p.add_argument("--debug-sql", action="store_true", help="log every SQL statement too (very verbose)")
    p.add_argument("--now", type=_instant, metavar="ISO-8601",
                   help="treat this instant as now, e.g. 2026-11-25T09:00:00+08:00 (without an offset: in "
                        "helpdesk.timezone): fetch times, ticket numbers, every recorded time; to replay a day")
    p.add_argument("--version", action="version", version=f"maild {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do (maild COMMAND --help for more)")
    check = sub.add_parser("check-config", help="validate the file and templates, then try the database, IMAP and SMTP")
    check.add_argument("--offline", action="store_true",
                       help="only the file and the templates (for a pre-start check before the network is up)")
    sub.add_parser("once", help="fetch every new mail, process it, send what is due, exit")
    sub.add_parser("run", help="the daemon: IMAP IDLE (or polling) until SIGTERM; with survey.listen, the "
                              "survey endpoint too")
    sub.add_parser("serve", help="the survey endpoint alone (survey.listen), until SIGTERM")
    tickets = sub.add_parser("tickets", help="one line per ticket")
    tickets.add_argument("--status", choices=TICKET_STATUSES, help="only tickets in this status")
    tickets.add_argument("--priority", choices=PRIORITIES, help="only tickets of this priority")
    tickets.add_argument("--assignee", metavar="ADDRESS", help="only tickets this engineer handles")
    tickets.add_argument("--archived", action="store_true", help="only tickets filed in the archive")
    tickets.add_argument("--overdue", action="store_true",
                         help="only unfinished tickets with a clock breached or due within the hour")
    show = sub.add_parser("show", help="a ticket with its messages in order")
    show.add_argument("number", help="the ticket number, e.g. TS20261125001")
    mails = sub.add_parser("mails", help="stored mails, oldest first, each with what became of it")
    only = mails.add_mutually_exclusive_group()
    only.add_argument("--screened", action="store_true", help="only mails that got no automatic answer")
    only.add_argument("--quarantined", action="store_true", help="only mails that could not be processed")
    mails.add_argument("--limit", type=int, default=100, metavar="N", help="the latest N mails (default 100, 0: all)")
    mail = sub.add_parser("mail", help="one stored mail's decision trace: what maild read, each rule's verdict, "
                                       "how it was threaded, what it decided and wrote")
    mail.add_argument("reference", metavar="ID-or-Message-ID",
                      help="its id, as `maild mails` lists it, or its Message-ID")
    replay = sub.add_parser("replay", help="the decision trace of a mail file as if it came in now, and what it "
                                           "would send: a dry run that stores and sends nothing")
    replay.add_argument("file", metavar="FILE.eml", help="the mail, as raw RFC 5322 bytes")
    sub.add_parser("quarantine", help="mails that could not be processed, with their errors")
    requeue = sub.add_parser("requeue", help="process a quarantined mail again (after a fix)")
    requeue.add_argument("id", type=int, help="the mail's id, as `maild quarantine` lists it")
    sub.add_parser("outbox", help="mails waiting to be sent, and those that failed, bounced or were suppressed")
    sub.add_parser("suppressed", help="addresses that hard-bounced: no automatic mail goes there until the time shown")
    sub.add_parser("unsuppress", help="take an address off the suppression list").add_argument(
        "address", help="the address, as `maild suppressed` lists it")
    sub.add_parser("status", help="counts of mails, tickets and the outbox")
    sub.add_parser("timers", help="what the guideline's clocks will do next: each ticket's timers, the soonest first")
    report = sub.add_parser("report", help="a month's report (G18): its figures, or with --out the HTML, CSV and charts")
    report.add_argument("--month", type=_month, metavar="YYYY-MM", help="the month (default: the one before now)")
    report.add_argument("--out", metavar="DIR", help="write report.html, report.csv and the charts (PNG) there")
    archive = sub.add_parser("archive", help="the archived tickets (T4): number, type, solution, knowledge-base entry")
    archive.add_argument("--month", type=_month, metavar="YYYY-MM", help="only tickets received in this month")
    as_csv = archive.add_mutually_exclusive_group()
    as_csv.add_argument("--csv", action="store_true", help="CSV (UTF-8 with a byte-order mark, for spreadsheets)")
    kb = sub.add_parser("kb", help="the knowledge base (G17): list, show ID, search QUERY, publish ID")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="list|show|search|publish",
                                    help="what to do with the knowledge base")
    kb_commands.add_parser("list", help="every entry, drafts too")
    kb_commands.add_parser("show", help="one entry").add_argument("id", type=int, help="the entry's id")
    kb_commands.add_parser("search", help="published entries matching the words, best first").add_argument("query", help="words, Chinese or English")
    kb_commands.add_parser("publish", help="publish a draft (kb.review = true)").add_argument(
        "id", type=int, help="the entry's id")
    for name in ("tickets", "show", "mails", "mail", "replay", "quarantine", "outbox", "suppressed", "status", "timers",
                 "report"):
        sub.choices[name].add_argument("--json", action="store_true", help="machine-readable output")
    as_csv.add_argument("--json", action="store_true", help="machine-readable output")
    for name in ("list", "show", "search"):
        kb_commands.choices[name].add_argument("--json", action="store_true", help="machine-readable output")
    return p


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-25T09:00:00+08:00)") from None


def _month(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {text!r} (e.g. 2026-11)") from None
    return text


def clock_for(config: Config, args: argparse.Namespace) -> Clock:
    """The one clock every command takes its time from: the instant `--now` names, or the system's."""
    now: datetime | None = getattr(args, "now", None)
    if now is None:
        return SystemClock()
    if now.tzinfo is None:
        now = now.replace(tzinfo=config.helpdesk.zone)
    return FrozenClock(now)


def emit(data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if as_json else text(data))


def cmd_check_config(config: Config, args: argparse.Namespace) -> int:
    import asyncio

    from .adapters.imap import probe as imap_probe
    from .adapters.smtp import probe as smtp_probe
    from .outgoing.templates import KINDS, PAGES, renderer_for
    from .steps import signing_key

    print(f"configuration {config.source}: ok")
    print(f"helpdesk {config.helpdesk.name} <{config.helpdesk.address}>, time zone {config.helpdesk.timezone}")
    if args.now is not None:
        print(f"now: {clock_for(config, args).now().isoformat()} (--now), not the system clock")
    print(f"workflow: [[staff]] {len(config.staff)}, [[module]] {len(config.modules)}, [[rota]] {len(config.rota)}, "
          f"[[rule]] {len(config.rules)}, [[customer]] {len(config.customers)} entries")
    checks = [("templates", lambda: renderer_for(config.helpdesk).check(KINDS, PAGES)),
              ("message-id key", lambda: signing_key(config))]
    if not args.offline:
        checks += [("database", lambda: _probe_database(config)), ("imap", lambda: imap_probe(config.imap)),
                   ("smtp", lambda: asyncio.run(smtp_probe(config.smtp)))]
    failed = 0
    for name, check in checks:
        try:
            print(f"{name}: {check()}")
        except MaildError as exc:
            print(f"{name}: FAILED: {exc}")
            failed += 1
    return 1 if failed else 0


def _probe_database(config: Config) -> str:
    from .store.db import open_database, redact

    db = open_database(config.database.url)
    db.close()
    return f"{redact(config.database.url)} ok"


def cmd_once(config: Config, args: argparse.Namespace) -> int:
    from .app import App
    from .progress import ProgressLine

    app = App(config, clock_for(config, args))
    try:
        result = app.once(ProgressLine(sys.stderr) if sys.stderr.isatty() else None)
    finally:
        app.close()
    f = result.flushed
    print(f"fetched {result.fetched}, processed {result.processed}, "
          f"sent {f.sent}, retrying {f.retried}, failed {f.failed}, timers fired {result.fired}")
    if f.login_refused:  # the mail stays queued, but no retry mends a refused login: say so
        print(f"maild: {f.login_refused}", file=sys.stderr)
        return 1
    return 0


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    from .app import App
    from .daemon import Daemon

    app = App(config, clock_for(config, args))
    try:
        Daemon(app).run()
    finally:
        app.close()
    return 0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    import signal
    import threading

    from .app import App
    from .web import serve

    if config.survey.listen is None:
        print("maild: survey.listen is not set: there is no survey endpoint to serve", file=sys.stderr)
        return 2
    app = App(config, clock_for(config, args))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve(app.survey_desk(), config.survey, app.clock.now, stop)
    finally:
        app.close()
    return 0


def cmd_report(config: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from .outgoing.templates import renderer_for
    from .steps.report import build

    _store(config)
    report = build(args.month, config, clock_for(config, args).now())
    month = report.figures["month"]
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, png in report.charts.items():
            (out / name).write_bytes(png)
        (out / "report.csv").write_bytes(report.csv)
        html = renderer_for(config.helpdesk).render("report", config.helpdesk.default_language,
                                                    {**report.context({name: name for name in report.charts}),
                                                     "helpdesk_name": config.helpdesk.name}).html
        (out / "report.html").write_text(html, encoding="utf-8")
        if not args.json:
            print(f"report {month}: {report.figures['tickets']} tickets; wrote {out}/report.html, report.csv and "
                  f"{len(report.charts)} charts")
    if args.json or not args.out:
        emit(report.figures, args.json, formats.report)
    return 0


def _store(config: Config) -> ModuleType:
    """Open the store for a command that reads it (it must be there already: such a command
    creates nothing); returns the module of its read-only views."""
    from .store import queries
    from .store.db import open_existing_database

    open_existing_database(config.database.url)
    return queries


def cmd_tickets(config: Config, args: argparse.Namespace) -> int:
    queries = _store(config)
    rows = queries.list_tickets(args.status, args.priority, args.assignee, args.archived)
    if args.overdue:
        from .steps.timers_views import overdue

        late = overdue(config, clock_for(config, args).now())
        rows = [{**row, "overdue": late[row["number"]]} for row in rows if row["number"] in late]
    emit(rows, args.json, lambda rows: "\n".join(
        f"{t['number']}  {t['status']:<11} {t['customer']:<32} {t['priority'] or '-':<3} "
        f"{t['assignee'] or '-':<24} {t['messages']:>3}  {t['subject']}"
        + "".join(f"\n    {c['clock']} {c['state']}, due {formats.local_time(c['due'], config.helpdesk.zone)}"
                  for c in t.get("overdue", ())) for t in rows) or "no tickets")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    _store(config)
    from .steps.timers_views import ticket_document

    ticket = ticket_document(args.number.upper(), config, clock_for(config, args).now())
    if ticket is None:
        print(f"maild: no ticket {args.number}", file=sys.stderr)
        return 1
    emit(ticket, args.json, lambda t: formats.ticket(t, config.helpdesk.zone))
    return 0


def cmd_mails(config: Config, args: argparse.Namespace) -> int:
    from .steps.process_views import mails

    _store(config)
    only = "screened" if args.screened else "quarantined" if args.quarantined else None
    emit(mails(only, args.limit or None), args.json, lambda rows: formats.mails(rows, config.helpdesk.zone))
    return 0


def cmd_mail(config: Config, args: argparse.Namespace) -> int:
    from .steps.process_views import find_mail, trace_stored

    _store(config)
    row = find_mail(args.reference)
    if row is None:
        print(f"maild: no stored mail {args.reference}", file=sys.stderr)
        return 1
    emit(trace_stored(row, config, clock_for(config, args).now()), args.json, lambda t: formats.trace(t, config.helpdesk.zone))
    return 0


def cmd_replay(config: Config, args: argparse.Namespace) -> int:
    from .errors import NoStore
    from .steps.process_views import trace_file
    from .store.db import open_database

    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"maild: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        _store(config)
    except NoStore as exc:  # before the first run: threaded against no tickets at all
        print(f"maild: {exc}; replaying against an empty store", file=sys.stderr)
        open_database("sqlite:///:memory:")
    emit(trace_file(raw, config, clock_for(config, args).now()), args.json, formats.replay)
    return 0


def cmd_quarantine(config: Config, args: argparse.Namespace) -> int:
    from .steps.process_views import quarantined

    _store(config)
    emit(quarantined(), args.json, lambda rows: "\n".join(
        f"{q['id']:>6}  {q['fetched_at']}  attempts {q['attempts']}  from {q['from']}  {q['subject']}\n"
        f"        {q['error']}" for q in rows) or "nothing in quarantine")
    return 0


def cmd_requeue(config: Config, args: argparse.Namespace) -> int:
    from .steps.process import requeue

    _store(config)
    if not requeue(args.id):
        print(f"maild: mail {args.id} is not in quarantine", file=sys.stderr)
        return 1
    print(f"mail {args.id} queued again: the next `maild once` takes it, a running daemon with its next mail "
          f"or within imap.idle_timeout (imap.poll_interval without IDLE)")
    return 0


def cmd_outbox(config: Config, args: argparse.Namespace) -> int:
    queries = _store(config)
    emit(queries.outbox(), args.json, lambda rows: "\n".join(
        f"{o['id']:>6}  {o['status']:<10} {o['kind']:<5} to {o['to']}  attempts {o['attempts']}  "
        f"{o['ticket'] or ''}  {o['last_error'] or ''}" for o in rows) or "outbox empty")
    return 0


def cmd_suppressed(config: Config, args: argparse.Namespace) -> int:
    queries = _store(config)
    zone = config.helpdesk.zone
    emit(queries.suppressed(clock_for(config, args).now()), args.json, lambda rows: "\n".join(
        f"{s['address']}  until {formats.local_time(s['until'], zone)}  {s['status']}  "
        f"{s['ticket'] or ''}  {s['diagnostic']}" for s in rows) or "no address is suppressed")
    return 0


def cmd_unsuppress(config: Config, args: argparse.Namespace) -> int:
    from .steps.flush import unsuppress

    _store(config)
    if not unsuppress(args.address):
        print(f"maild: {args.address} is not on the suppression list", file=sys.stderr)
        return 1
    print(f"{args.address} taken off the suppression list: automatic mail goes there again")
    return 0


def cmd_timers(config: Config, args: argparse.Namespace) -> int:
    from .steps.timers_views import upcoming

    _store(config)
    zone = config.helpdesk.zone
    emit(upcoming(config, clock_for(config, args).now()), args.json, lambda rows: "\n".join(
        f"{formats.local_time(t['due'], zone)}  {t['ticket']}  {t['kind']}" for t in rows) or "no timers")
    return 0


def cmd_archive(config: Config, args: argparse.Namespace) -> int:
    queries = _store(config)
    rows = queries.archived(args.month)
    if args.csv:
        sys.stdout.buffer.write(formats.archive_csv(rows))
        return 0
    emit(rows, args.json, lambda rows: "\n".join(
        f"{t['number']}  {t['type'] or '-':<20} kb {t['kb_entry'] or '-':<5} {t['folder']}  "
        f"{(t['solution'].splitlines() or [''])[0]}"
        for t in rows) or "no archived tickets")
    return 0


def cmd_kb(config: Config, args: argparse.Namespace) -> int:
    from .steps import knowledge

    _store(config)
    if args.kb_command == "publish":
        if not knowledge.publish(args.id, "maild kb publish", config, clock_for(config, args).now()):
            print(f"maild: no draft entry {args.id} (unknown, or published already)", file=sys.stderr)
            return 1
        print(f"entry {args.id} published")
        return 0
    if args.kb_command == "show":
        found = knowledge.entry(args.id)
        if found is None:
            print(f"maild: no entry {args.id}", file=sys.stderr)
            return 1
        emit(found, args.json, formats.kb_entry)
    elif args.kb_command == "search":
        emit(knowledge.search(args.query), args.json, lambda hits: "\n".join(
            f"{h['id']:>5}  {h['score']:>7.3f}  {h['title']}" for h in hits) or "no entry matches")
    else:
        emit(knowledge.entries(), args.json, lambda rows: "\n".join(
            f"{e['id']:>5}  {e['status']:<9} {e['ticket']}  {e['type'] or '-':<20} {e['title']}" for e in rows)
            or "no entries")
    return 0


def cmd_status(config: Config, args: argparse.Namespace) -> int:
    queries = _store(config)
    emit(queries.status(), args.json, formats.status)
    return 0


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "check-config": cmd_check_config, "once": cmd_once, "run": cmd_run, "serve": cmd_serve, "report": cmd_report, "archive": cmd_archive,
    "kb": cmd_kb, "tickets": cmd_tickets,
    "show": cmd_show, "mails": cmd_mails, "mail": cmd_mail, "replay": cmd_replay, "quarantine": cmd_quarantine,
    "requeue": cmd_requeue, "outbox": cmd_outbox, "suppressed": cmd_suppressed, "unsuppress": cmd_unsuppress,
    "status": cmd_status, "timers": cmd_timers,
}
