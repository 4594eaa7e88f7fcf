"""The text the read-only commands print (their --json prints the same data as it is).

Times in the helpdesk's zone, to the minute; one mail or ticket per block, one fact per line.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo
from typing import Any


def local_time(iso: str | None, zone: tzinfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M") if iso else "-"


def ticket(t: dict[str, Any], zone: tzinfo) -> str:
    lines = [f"{t['number']}  [{t['status']}]  {t['subject']}",
             f"customer: {t['customer_name']} <{t['customer']}>   channel: {t['channel']}   "
             f"received: {local_time(t['received_at'], zone)}",
             f"participants: {', '.join(t['participants'])}", ""]
    if t["intake"]:
        lines += _intake_table(t, zone)
    if t["sla"]:
        lines += ["clocks (SLA)"] + [f"  {name:<16} due {local_time(c['due'], zone)}  {c['state']:<9}"
                                     + (f" done {local_time(c['done'], zone)}" if c["done"] else "")
                                     for name, c in t["sla"].items()] + [""]
    if t["survey"]:
        s = t["survey"]
        lines += ["satisfaction (T3)", f"  {s['rating']}, by {s['surveyed_by']} at {local_time(s['surveyed_at'], zone)}"]
        lines += [f"  suggestions: {' '.join(s['suggestions'].split())}"] if s["suggestions"] else []
        lines.append("")
    if t["progress"]:
        lines += ["progress (T2)"] + [line for p in t["progress"] for line in _progress_row(p, zone)] + [""]
    for i, m in enumerate(t["messages"], 1):
        arrow = "→ customer" if m["direction"] == "out" else "← customer"
        extra = f" [{m['delivery']}]" if m["delivery"] else ""
        extra += f" (screened: {m['screened']})" if m["screened"] else ""
        lines += [f"#{i} {local_time(m['at'], zone)} {arrow} from {m['from']}{extra}", f"   {m['subject']}"]
        lines += [f"   {line}" for line in m["body"].strip().splitlines()[:40]]
        lines += [f"   📎 {a['filename']} ({a['size']} bytes)" for a in m["attachments"]]
        lines.append("")
    return "\n".join(lines)


def _progress_row(p: dict[str, Any], zone: tzinfo) -> list[str]:
    """A step of the T2 table: time, status, handler, action; the expected and actual completion and
    the customer's feedback under it when there are any."""
    lines = [f"  {local_time(p['at'], zone)}  {p['status'] or '-':<12} {p['handler']:<24} {p['action']}"]
    if p["eta"]:
        lines.append(f"  {'':16}  expected completion {local_time(p['eta'], zone)}")
    if p["done_at"]:
        lines.append(f"  {'':16}  completed {local_time(p['done_at'], zone)}")
    if p["feedback"]:
        lines.append(f"  {'':16}  customer: {' '.join(p['feedback'].split())[:200]}")
    return lines


def _intake_table(t: dict[str, Any], zone: tzinfo) -> list[str]:
    """The guideline's intake form (T1), a field the mail did not give as "unknown"."""
    i = t["intake"]
    rows = [("ticket", t["number"]), ("organisation", i["organisation"]), ("contact", i["contact"]),
            ("contact details", ", ".join([i["address"], *i["phones"]])), ("description", i["description"]),
            ("type", i["type"]), ("urgency", i["urgency"]), ("channel", i["channel"]),
            ("received by", i["received_by"]), ("received at", local_time(i["received_at"], zone)),
            ("judgement", i["judgement"]), ("assignee", t["assignee"])]
    return ["intake (T1)"] + [f"  {name:<16} {value or 'unknown'}" for name, value in rows] + [""]


def status(s: dict[str, Any]) -> str:
    tickets = ", ".join(f"{k} {v}" for k, v in sorted(s["tickets"].items())) or "none"
    o = s["outbox"]
    return (f"mails: {s['mails']} stored, {s['pending']} pending, {s['screened']} screened, "
            f"{s['quarantined']} quarantined\n"
            f"tickets: {tickets}\n"
            f"outbox: {o['queued']} queued, {o['sent']} sent, {o['failed']} failed, {o['bounced']} bounced, "
            f"{o['suppressed']} suppressed\n"
            f"last fetch: {s['last_fetch'] or 'never'}")


def mails(rows: list[dict[str, Any]], zone: tzinfo) -> str:
    return "\n".join(f"{m['id']:>6}  {local_time(m['fetched_at'], zone)}  {m['from'] or '(no sender)':<32}  "
                     f"{m['subject']}\n        {m['fate']}" for m in rows) or "no mails"


def trace(t: dict[str, Any], zone: tzinfo) -> str:
    """`maild mail`: what was recorded, then the rules' reasons, then what the mail wrote."""
    m = t["mail"]
    lines = [f"mail {m['id']}  {m['message_key']}",
             f"  fetched {local_time(m['fetched_at'], zone)} from {m['mailbox']} (UID {m['uid']}), {m['size']} bytes; "
             f"server received it {local_time(m['server_received_at'], zone)}"
             + ("; flagged \\Answered" if m["answered_on_server"] else ""),
             f"  {m['fate']}" + (f" (processed {local_time(m['processed_at'], zone)})" if m["processed_at"] else "")]
    if t.get("differs"):
        lines.append(f"  note: {t['differs']}")
    lines += _reasons(t)
    produced = t["produced"]
    if produced["articles"] or produced["outbox"]:
        lines.append("produced")
        lines += [f"  article {a['id']} ({a['direction']}) on {m['ticket']}, {len(a['attachments'])} attachment(s)"
                  + (f", screened: {a['screened']}" if a["screened"] else "") for a in produced["articles"]]
        lines += [f"  outbox {o['id']}: {o['kind']} to {o['to']}, {o['status']}"
                  + (f" {local_time(o['sent_at'], zone)}" if o["sent_at"] else "")
                  + (f" ({o['last_error']})" if o["last_error"] else "") for o in produced["outbox"]]
    return "\n".join(lines)


def replay(t: dict[str, Any]) -> str:
    """`maild replay`: the rules' reasons, and what the mail would do and send."""
    lines = ["dry run: nothing was stored or sent", *_reasons(t)]
    for mail in t["would_send"]:
        lines += ["would send", f"  {mail['kind']} to {mail['to']}: {mail['subject']}"]
        lines += [f"  | {line}" for line in mail["text"].splitlines()]
    return "\n".join(lines)


def _reasons(t: dict[str, Any]) -> list[str]:
    p, s, c, d = t["parsed"], t["screening"], t["correlation"], t["decision"]
    sender = p["from"]
    lines = ["parsed",
             f"  from      {_address(sender) if sender else '(no sender)'}",
             f"  subject   {p['subject']}",
             f"  language  {p['language']}   type {p['content_type']}   {len(p['attachments'])} attachment(s)",
             f"  defects   {'; '.join(p['defects']) or 'none'}",
             f"  new text  {_first_lines(p['new_text'])}"]
    if p["reply_to"]:
        lines.insert(2, f"  reply-to  {', '.join(_address(a) for a in p['reply_to'])}")
    age = s["age_seconds"]
    lines += ["screening",
              f"  the server had it {_duration(age)} when it was decided" if age is not None
              else "  the server's receipt time: not known (taken as just received)",
              f"  automatic mails to the answer address within the rate window: {s['recent_automatic_mails']}"]
    matched = False
    for rule in s["rules"]:
        verdict = "no"
        if rule["matched"]:
            verdict = "yes (the first: decides)" if not matched else "yes"
            matched = True
        lines.append(f"  {rule['reason']:<16} {rule['rule']:<34} {verdict}")
    lines.append(f"  → screened: {s['screened']}" if s["screened"] else "  → a person wrote it: answer")
    ours = ", ".join(f"{message_id} ({number})" for message_id, number in c["ours"].items())
    lines += ["correlation",
              f"  thread ids: {len(c['thread_ids'])}, ours: {ours or 'none'}",
              f"  subject tag: {c['subject_tag'] or 'none'}"]
    lines.append(f"  → {c['ticket']} via {c['via']}" if c["ticket"] else "  → no ticket of ours")
    if c["note"]:
        lines.append(f"  note: {c['note']}")
    lines.append("decision")
    lines += [f"  {a['summary']}" for a in d["actions"]] or ["  store it, nothing more"]
    return lines


def _first_lines(text: str, count: int = 3) -> str:
    lines = text.splitlines()
    shown = " / ".join(line.strip() for line in lines[:count] if line.strip())
    return shown + (" …" if len(lines) > count else "") if shown else "(none)"


def _address(a: dict[str, str]) -> str:
    return f"{a['name']} <{a['address']}>" if a["name"] else a["address"]


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def report(r: dict[str, Any]) -> str:
    """`maild report`: the month's figures, a fact per line."""
    counts = lambda found: ", ".join(f"{name} {n}" for name, n in found.items()) or "-"  # noqa: E731
    lines = [f"report {r['month']}: {r['tickets']} tickets, {r['reopened']} reopened",
             f"by priority: {counts(r['by_priority'])}", f"by type: {counts(r['by_type'])}",
             f"by organisation: {counts(r['by_organisation'])}",
             "sla (met / breached): " + ", ".join(f"{c} {v['met']}/{v['breached']}" for c, v in r["sla"].items()),
             f"satisfaction: {counts(r['satisfaction'])}"]
    lines += [f"weak spot: {w['type']} ({w['module']}): {w['breaches']} breaches" for w in r["weak_spots"]]
    lines += [f"suggestion {s['ticket']} ({s['rating']}): {s['suggestions']}" for s in r["suggestions"]]
    return "\n".join(lines)


ARCHIVE_COLUMNS = ("number", "type", "solution", "kb_entry", "archived_at", "folder", "path")


def archive_csv(rows: list[dict[str, Any]]) -> bytes:
    """`maild archive --csv`: T4, UTF-8 with a byte-order mark (spreadsheets then read Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ARCHIVE_COLUMNS)
    writer.writerows([row[column] if row[column] is not None else "" for column in ARCHIVE_COLUMNS] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def kb_entry(e: dict[str, Any]) -> str:
    """`maild kb show`: the entry as staff read it."""
    lines = [f"entry {e['id']}: {e['title']}  ({e['status']}, from {e['ticket']})",
             f"type: {e['type'] or '-'}   module: {e['module'] or '-'}", "", e["faq"], "", "steps:", e["steps"] or "-"]
    if e["screenshots"]:
        lines += ["", "screenshots:", *e["screenshots"]]
    return "\n".join(lines)
