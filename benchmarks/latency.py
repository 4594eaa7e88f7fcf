"""Latency of the daemon: a mail APPENDed to the mailbox until its acknowledgement reaches SMTP.

    python benchmarks/latency.py [--mails 20] [--pause 0.5] [--rate 20] [--load-seconds 60]
                                 [--database sqlite|postgresql]

Starts `python -m maild -c CONFIG run` (IMAP IDLE) against a private Dovecot and an SMTP sink,
waits for its sd_notify READY=1 and its first fetch, sends one warm-up mail, then N mails one at
a time, and prints each latency, the median (target < 1 s) and p95. Then steady load: mails
APPENDed at --rate a second for --load-seconds, each latency from its APPEND until the sink took
its acknowledgement (median target < 1.5 s). Then SIGTERMs the daemon and checks that it exits
0. Exits 0 whether or not a target is met (1 only if the daemon fails).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from common import (child_env, maild, rig, maild_command, median, percentile,
                    sample_mail, verdict)

from maild.testing.dovecot import PrivateDovecot
from maild.testing.smtpsink import SmtpSink

MEDIAN_TARGET = 1.0
LOADED_MEDIAN_TARGET = 1.5
START_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def wait_ready(notify: socket.socket, proc: subprocess.Popen, config: Path) -> float:
    """READY=1 over sd_notify, then the first fetch done (status shows last_fetch)."""
    start = time.perf_counter()
    deadline = start + START_TIMEOUT
    notify.settimeout(0.2)
    ready = False
    while not ready:
        if proc.poll() is not None or time.perf_counter() > deadline:
            raise RuntimeError("maild run did not report READY=1")
        try:
            ready = b"READY=1" in notify.recv(4096).split(b"\n")
        except TimeoutError:
            pass
    while json.loads(maild(config, "status", "--json"))["last_fetch"] is None:
        if proc.poll() is not None or time.perf_counter() > deadline:
            raise RuntimeError("maild run did not fetch")
        time.sleep(0.1)
    return time.perf_counter() - start


def send_and_wait(imap, sink: SmtpSink, raw: bytes, count: int) -> tuple[float, float]:
    """APPEND one mail; (seconds until its ack was accepted by the sink, of which APPEND took)."""
    start = time.perf_counter()
    imap.append("INBOX", raw)
    appended = time.perf_counter() - start
    sink.wait_for(count, timeout=ACK_TIMEOUT)
    return time.perf_counter() - start, appended


def steady_load(imap, sink: SmtpSink, rng: random.Random, rate: float, seconds: float) -> tuple[list[float], int]:
    """APPEND `rate` mails a second for `seconds`; the latency of each acknowledgement that came,
    and how many were sent."""
    appended_at: dict[str, float] = {}
    already = len(sink.messages)
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        time.sleep(max(0.0, start + i / rate - time.monotonic()))
        raw = sample_mail(30_000 + i, rng, tag="load")[0]
        appended_at[raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()] = time.monotonic()
        imap.append("INBOX", raw)
    deadline = time.monotonic() + ACK_TIMEOUT
    while len(sink.messages) < already + len(appended_at) and time.monotonic() < deadline:
        time.sleep(0.1)
    latencies = []
    for received in sink.messages[already:]:
        sent = appended_at.get((received.message["In-Reply-To"] or "").strip("<> "))
        if sent is not None:
            latencies.append(received.at - sent)
    return latencies, len(appended_at)


def idle_floor(dovecot: PrivateDovecot, raw: bytes, count: int = 5) -> list[float]:
    """Plain IMAP, no maild: APPEND until a second connection in IDLE hears of it.
    What the server itself adds to every latency (another user's mailbox: maild never sees these)."""
    server = dovecot.with_user("idle-floor@example.com")
    times = []
    with server.client() as watcher, server.client() as writer:
        watcher.select_folder("INBOX")
        for _ in range(count):
            watcher.idle()
            time.sleep(0.2)
            start = time.perf_counter()
            writer.append("INBOX", raw)
            while not any(b"EXISTS" in response for response in watcher.idle_check(timeout=5)):
                if time.perf_counter() - start > 5:
                    break
            times.append(time.perf_counter() - start)
            watcher.idle_done()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between one ack and the next mail")
    parser.add_argument("--rate", type=float, default=20.0, help="mails a second under steady load")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="how long the steady load lasts (0: none)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with rig("maild-latency-", args.database) as bench:
        scratch, dovecot, sink, config = bench.scratch, bench.dovecot, bench.sink, bench.config
        floor = idle_floor(dovecot, sample_mail(20_000, random.Random(0), tag="floor")[0])
        print(f"IMAP IDLE alone (APPEND until EXISTS on another connection): median {median(floor) * 1000:.0f} ms, "
              f"max {max(floor) * 1000:.0f} ms")
        notify_path = scratch / "notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(notify_path))
        log_path = scratch / "maild-run.log"
        log = open(log_path, "wb")
        proc = subprocess.Popen(maild_command(config, "run"), stdout=log, stderr=subprocess.STDOUT,
                                env=child_env(NOTIFY_SOCKET=str(notify_path)), cwd=Path(__file__).parent.parent)
        latencies: list[float] = []
        loaded: list[float] = []
        load_sent = 0
        failed = False
        try:
            startup = wait_ready(notify, proc, config)
            print(f"maild run ready in {startup:.2f} s (READY=1 and first fetch); database {args.database}")
            with dovecot.client(timeout=30) as imap:
                warm, _ = send_and_wait(imap, sink, sample_mail(10_000, rng, tag="warmup")[0], 1)
                print(f"warm-up mail: {warm * 1000:.0f} ms (not counted)")
                for i in range(args.mails):
                    time.sleep(args.pause)  # the daemon is back in IDLE
                    raw, chinese, charset = sample_mail(i, rng, rng.choice([0, 0, 0, 20_000]), tag="latency")
                    latency, appended = send_and_wait(imap, sink, raw, i + 2)
                    ack = sink.messages[i + 1].message
                    sent_id = raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
                    answers = (ack["In-Reply-To"] or "").strip("<> ") == sent_id
                    latencies.append(latency)
                    print(f"  mail {i + 1:3}  {latency * 1000:7.0f} ms  (APPEND {appended * 1000:.0f} ms, "
                          f"{len(raw) // 1024} KB, {'zh ' + charset if chinese else 'en'})"
                          + ("" if answers else "  ack answers another mail!"))
                if args.load_seconds:
                    loaded, load_sent = steady_load(imap, sink, rng, args.rate, args.load_seconds)
        except (RuntimeError, AssertionError) as exc:
            print(f"FAILED: {exc}")
            failed = True
        finally:
            proc.send_signal(signal.SIGTERM)
            stop_start = time.perf_counter()
            try:
                code = proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
                print(f"maild run did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM; killed")
            stop_s = time.perf_counter() - stop_start
            log.close()
            notify.close()
            output = log_path.read_text(errors="replace")

    print(f"SIGTERM: maild run exited {code} after {stop_s:.2f} s  {verdict(code == 0)}")
    if code != 0 or failed:
        print("--- maild run output (tail) ---\n" + "\n".join(output.splitlines()[-30:]))
    if latencies:
        med, p95 = median(latencies), percentile(latencies, 0.95)
        print(f"median {med * 1000:.0f} ms   target < {MEDIAN_TARGET * 1000:.0f} ms   {verdict(med < MEDIAN_TARGET)}")
        print(f"p95    {p95 * 1000:.0f} ms   min {min(latencies) * 1000:.0f} ms   max {max(latencies) * 1000:.0f} ms"
              f"   ({len(latencies)} mails)")
    if load_sent:
        med = median(loaded) if loaded else float("inf")
        print(f"under {args.rate:g} mails/s for {args.load_seconds:g} s: {len(loaded)} of {load_sent} acknowledged; "
              f"median {med * 1000:.0f} ms   target < {LOADED_MEDIAN_TARGET * 1000:.0f} ms   "
              f"{verdict(med < LOADED_MEDIAN_TARGET and len(loaded) == load_sent)}")
        if loaded:
            print(f"       p95 {percentile(loaded, 0.95) * 1000:.0f} ms   max {max(loaded) * 1000:.0f} ms")
    return 1 if failed or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
