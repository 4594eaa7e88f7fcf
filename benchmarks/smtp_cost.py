"""What one mail costs to hand over by SMTP on loopback: the CPU of maild's sending side
(aiosmtplib) and of the SMTP sink (aiosmtpd), per mail, each in its own process.

    python benchmarks/smtp_cost.py [--mails 2000] [--kb 5]

It explains a ceiling of ingest.py's `workflow/mail loop`: every ticket of the team's mailbox
sends one more mail (the assignee's notification), and on a machine of two cores the sink that
receives it runs beside maild. The figure to compare: ingest.py's `maild once` CPU per mail.
No target: a measurement of the environment, not of maild's code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from maild.testing.smtpsink import SmtpSink

SENDER = """
import asyncio, sys, time
import aiosmtplib

async def main(host, port, count, raw):
    client = aiosmtplib.SMTP(hostname=host, port=port)
    await client.connect()
    started = time.process_time()
    for _ in range(count):
        await client.sendmail("support@example.com", ["alice@customer.example"], raw)
    print(time.process_time() - started)
    await client.quit()

host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\\r\\n"
raw = (b"From: support@example.com\\r\\nTo: alice@customer.example\\r\\nSubject: [TS20261125001] x\\r\\n"
       b"Message-ID: <bench@example.com>\\r\\nContent-Type: text/plain\\r\\n\\r\\n" + line * (size // len(line)))
asyncio.run(main(host, port, count, raw))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=5, help="size of each mail (an acknowledgement is about 5 KB)")
    args = parser.parse_args()
    with SmtpSink() as sink:
        started = time.process_time()
        sent = subprocess.run([sys.executable, "-c", SENDER, sink.host, str(sink.port), str(args.mails),
                               str(args.kb * 1024)], check=True, capture_output=True, text=True)
        sink_cpu = time.process_time() - started
        received = len(sink.messages)
    client_cpu = float(sent.stdout.strip())
    print(f"{args.mails} mails of {args.kb} KB, {received} received")
    print(f"{'aiosmtplib, CPU per mail':32} {client_cpu / args.mails * 1000:7.3f} ms")
    print(f"{'aiosmtpd sink, CPU per mail':32} {sink_cpu / args.mails * 1000:7.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
