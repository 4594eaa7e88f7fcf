"""Several `maild run` on one PostgreSQL store: throughput with 1, 2 and 4 daemons.

    python benchmarks/processes.py [--mails 2000] [--daemons 1,2,4] [--repeat 3]

For each count: a fresh store and mailbox, that many daemons started and READY, then N mixed
mails APPENDed at once (MULTIAPPEND); the figure is N over the time from the APPEND until the
SMTP sink has every acknowledgement. One daemon fetches the mailbox, all of them process. Also
checked: one ticket and one acknowledgement per mail. The counts take turns, --repeat rounds of
them, and the verdict is on the median of each (one run can be a third off on a shared machine).
Target: 2 daemons at least 1.4x one.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

from common import MailSet, child_env, generate, maild, maild_command, median, rig, verdict

TARGET = 1.4
READY_TIMEOUT = 30.0


def measure(daemons: int, mails: int) -> tuple[float, str]:
    with rig("maild-processes-", "postgresql") as bench:
        procs, sockets = [], []
        for n in range(daemons):
            path = bench.scratch / f"notify{n}.sock"
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(str(path))
            notify.settimeout(READY_TIMEOUT)
            sockets.append(notify)
            procs.append(subprocess.Popen(maild_command(bench.config, "run"), env=child_env(NOTIFY_SOCKET=str(path)),
                                          stdout=subprocess.DEVNULL, stderr=open(bench.scratch / f"run{n}.log", "wb")))
        for notify in sockets:
            while b"READY=1" not in notify.recv(4096):
                pass
        raws = list(generate(mails, 7, MailSet(), tag="procs", profile="mixed"))
        expected = sum(1 for raw in raws if b"Auto-Submitted" not in raw)
        start = time.perf_counter()
        bench.dovecot.append_many(raws)
        bench.sink.wait_for(expected, timeout=600)
        elapsed = time.perf_counter() - start
        time.sleep(1.0)  # a second acknowledgement of any mail would arrive meanwhile
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=60) for proc in procs]
        status = json.loads(maild(bench.config, "status", "--json"))
        answered = Counter(received.message["In-Reply-To"] for received in bench.sink.messages)
        check = (f"{sum(status['tickets'].values())} tickets, {len(bench.sink.messages)} acks for "
                 f"{len(answered)} mails, most to one mail {max(answered.values())}, exit codes {codes}")
        for notify in sockets:
            notify.close()
    return mails / elapsed, check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--daemons", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of all the counts")
    args = parser.parse_args()
    counts = [int(n) for n in args.daemons.split(",")]
    runs: dict[int, list[float]] = {count: [] for count in counts}
    print(f"{args.mails} mixed mails, one PostgreSQL store, `maild run` daemons")
    for _ in range(args.repeat):
        for count in counts:
            rate, check = measure(count, args.mails)
            runs[count].append(rate)
            print(f"{count} daemon(s): {rate:7.1f} mails/s   ({check})")
    rates = {count: median(found) for count, found in runs.items()}
    for count in counts:
        print(f"{count} daemon(s), median: {rates[count]:7.1f} mails/s   "
              f"(runs: {', '.join(f'{rate:.0f}' for rate in runs[count])})")
    if 1 in rates and 2 in rates:
        ratio = rates[2] / rates[1]
        print(f"2 daemons / 1: {ratio:.2f}   target >= {TARGET}   {verdict(ratio >= TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
