"""Ingest throughput and memory: `maild once` against a plain imapclient + email baseline.

    python benchmarks/ingest.py [--mails 1000] [--large-mails 1000] [--database sqlite|postgresql] [--seed 1]
                                [--repeat 3] [--no-workflow]

Two mailboxes, one after the other, each of generated mail (mixed Chinese/English) in a private
Dovecot: "mixed", about 15 KB a mail (the target figure), and "large", ~2 % of it with 1-10 MB
attachments (a second figure, for memory). The mixed one runs a second time with a support team
configured (common.TEAM: staff, modules, rules, a rota), so each ticket is also classified,
assigned and its engineer mailed: that figure may be at most 10 % below the first. On each:
  baseline   in this process: login, select, search, fetch every mail (BODY.PEEK[]) in batches,
             parse each with the standard library and read its text parts; no database;
  maild      `python -m maild -c CONFIG once` as a child process, acknowledgements really sent
             to an SMTP sink; wall time, peak RSS and CPU time of its processes.
Prints the figures with their targets; exits 0 whether or not a target is met.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import sys
import time

from common import MB, TEAM, MailSet, generate, maild, maild_command, median, rig, run_measured, verdict

from maild.testing.dovecot import PrivateDovecot

RATIO_TARGETS = {"sqlite": 0.8, "postgresql": 0.6}  # of the mixed mailbox
RSS_TARGET_MB = 150
WORKFLOW_KEEPS = 0.9  # the workflow may cost the mail loop's figure at most 10 %
BASELINE_BATCH = 50  # UIDs per FETCH, as maild's default imap.batch_size


def baseline(dovecot: PrivateDovecot) -> dict:
    """The floor: fetch and parse every mail with nothing else to do."""
    start = time.perf_counter()
    fetched = text_chars = parts = 0
    with dovecot.client(timeout=120) as imap:
        imap.select_folder("INBOX", readonly=True)
        uids = sorted(imap.search("ALL"))
        fetch_s = 0.0
        for i in range(0, len(uids), BASELINE_BATCH):
            group = uids[i:i + BASELINE_BATCH]
            t = time.perf_counter()
            data = imap.fetch(group, ["BODY.PEEK[]"])
            fetch_s += time.perf_counter() - t
            for uid in group:
                raw = data[uid][b"BODY[]"]
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                for part in msg.walk():
                    if part.is_multipart():
                        continue
                    parts += 1
                    if part.get_content_maintype() == "text" and not part.is_attachment():
                        text_chars += len(part.get_content())
                fetched += 1
            del data
    wall = time.perf_counter() - start
    return {"mails": fetched, "wall": wall, "fetch": fetch_s, "parts": parts, "text_chars": text_chars}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000, help="mails of the mixed mailbox (about 15 KB each)")
    parser.add_argument("--large-mails", type=int, default=1000,
                        help="mails of the large-attachment mailbox (0: skip it)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-workflow", dest="workflow", action="store_false",
                        help="skip the mixed mailbox with staff, rules and a rota configured")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each mailbox; the verdict is on the median (a shared machine is noisy)")
    args = parser.parse_args()
    ratio_target = RATIO_TARGETS[args.database]
    medians = {}
    for name, profile, count, team in (("mixed", "mixed", args.mails, False),
                                       ("mixed, workflow", "mixed", args.mails if args.workflow else 0, True),
                                       ("large", "large", args.large_mails, False)):
        if not count:
            continue
        target = ratio_target if profile == "mixed" else None
        runs = []
        for run in range(1, args.repeat + 1):
            print(f"== {name} mailbox, {args.database}, run {run} of {args.repeat}")
            runs.append(measure(profile, count, args.database, args.seed, target, team))
            print()
        medians[name] = median([run["ratio"] for run in runs])
        if args.repeat > 1:
            summarise(name, runs, target)
            print()
    if "mixed, workflow" in medians and "mixed" in medians:
        kept = medians["mixed, workflow"] / medians["mixed"]
        print(f"{'workflow/mail loop, medians':32} {kept:8.2f}   target >= {WORKFLOW_KEEPS}   "
              f"{verdict(kept >= WORKFLOW_KEEPS)}   (mixed {medians['mixed']:.2f}, "
              f"with staff, rules and a rota {medians['mixed, workflow']:.2f})")
    return 0


def summarise(profile: str, runs: list[dict], ratio_target: float | None) -> None:
    ratios = sorted(run["ratio"] for run in runs)
    ratio = median(ratios)
    memory = max(run["memory_mb"] for run in runs)
    target = f"target >= {ratio_target}   {verdict(ratio >= ratio_target)}" if ratio_target else "(second figure)"
    print(f"== {profile} mailbox over {len(runs)} runs")
    print(f"{'ratio maild/baseline, median':32} {ratio:8.2f}   {target}   (runs: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"{'maild peak memory, highest':32} {memory:8.1f} MB   target < {RSS_TARGET_MB} MB   "
          f"{verdict(memory < RSS_TARGET_MB)}")


def measure(profile: str, count: int, database: str, seed: int, ratio_target: float | None,
            team: bool = False) -> dict:
    """One mailbox: the baseline, then `maild once` into an empty store; prints the figures.
    `team`: with staff, rules and a rota configured, so every ticket is also classified, assigned
    and notified."""
    with rig("maild-bench-", database, **(TEAM if team else {})) as bench:
        scratch, dovecot, sink, config = bench.scratch, bench.dovecot, bench.sink, bench.config
        attachments = bench.state / "attachments"

        mails = MailSet()
        t = time.perf_counter()
        dovecot.append_many(generate(count, seed, mails, profile=profile))
        append_s = time.perf_counter() - t
        total_mb = mails.bytes / MB
        print(f"{mails.count} mails, {total_mb:.1f} MB: {mails.chinese} Chinese, {mails.with_attachment} with "
              f"attachments ({mails.large} of 1-10 MB), {mails.auto_replies} auto-replies; "
              f"charsets {', '.join(f'{k} {v}' for k, v in sorted(mails.charsets.items()))}")
        print(f"appended to Dovecot in {append_s:.1f} s (MULTIAPPEND)")

        base = baseline(dovecot)
        if base["mails"] != mails.count:
            print(f"warning: the baseline saw {base['mails']} mails, not {mails.count}")
        log = scratch / "maild-once.log"
        run = run_measured(maild_command(config, "once"), log, scratch / "maild-once.json")
        output = log.read_text(errors="replace")
        if run["returncode"] != 0:
            print(f"maild once exited {run['returncode']}:\n{output[-3000:]}")
        status = json.loads(maild(config, "status", "--json"))
        sink_got = len(sink.messages)
        attachment_files = sum(1 for p in attachments.rglob("*") if p.is_file()) if attachments.exists() else 0

    base_rate = base["mails"] / base["wall"]
    maild_rate = mails.count / run["wall"]
    ratio = maild_rate / base_rate
    target = f"target >= {ratio_target}   {verdict(ratio >= ratio_target)}" if ratio_target else "(second figure)"
    print(f"{'':32} {'wall s':>8} {'mails/s':>9} {'MB/s':>7}")
    print(f"{'baseline (imapclient + email)':32} {base['wall']:8.2f} {base_rate:9.1f} {total_mb / base['wall']:7.1f}"
          f"   (of it FETCH {base['fetch']:.2f} s)")
    print(f"{'maild once':32} {run['wall']:8.2f} {maild_rate:9.1f} {total_mb / run['wall']:7.1f}"
          f"   (CPU {run['cpu']:.2f} s in {run['processes']} processes, start-up included)")
    print(f"{'ratio maild/baseline':32} {ratio:8.2f}   {target}")
    print(f"{'maild peak memory':32} {run['tree_pss_mb']:8.1f} MB   target < {RSS_TARGET_MB} MB   "
          f"{verdict(run['tree_pss_mb'] < RSS_TARGET_MB)}   (PSS of all its processes; "
          f"the main one's RSS alone {run['rss_mb']:.1f} MB)")
    tickets = sum(status["tickets"].values())
    outbox = status["outbox"]
    expected = mails.count - mails.auto_replies
    print(f"{'result':32} {status['mails']} stored, {tickets} tickets, {status['screened']} screened, "
          f"{status['quarantined']} quarantined, {status['pending']} pending; mails sent {outbox['sent']}, "
          f"queued {outbox['queued']}, failed {outbox['failed']}; sink received {sink_got}; "
          f"{attachment_files} attachment files")
    enough = sink_got >= expected if team else sink_got == expected  # the team's notifications come on top
    if tickets != expected or not enough or status["mails"] != mails.count:
        print(f"{'sanity':32} CHECK: expected {mails.count} stored, {expected} tickets and acks")
    summary = output.strip().splitlines()
    print(f"{'maild said':32} {summary[-1] if summary else '(nothing)'}")
    return {"ratio": ratio, "memory_mb": run["tree_pss_mb"]}


if __name__ == "__main__":
    sys.exit(main())
