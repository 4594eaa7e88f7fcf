"""What the benchmarks share: deterministic sample mail, scratch directories, the maild command line.

The mails are built by hand, byte by byte, the way Chinese and Western mail clients write them:
GB2312/GBK/UTF-8 bodies in base64, quoted-printable or 8bit, RFC 2047 subjects (B and Q),
attachment names in RFC 2231 or RFC 2047 form, multipart/alternative and multipart/mixed.
"""

from __future__ import annotations

import base64
import json
import math
import os
import quopri
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maild.testing.dovecot import PrivateDovecot
    from maild.testing.smtpsink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/x.py` from anywhere, without installing maild
    sys.path.insert(0, str(ROOT))

HELPDESK = "support@example.com"
CRLF = "\r\n"
MB = 1024 * 1024

# -- sample text ------------------------------------------------------------------------------

ZH_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐明", "孙丽",
            "马超", "朱琳", "胡斌", "郭晓", "何欣", "林峰", "高原", "罗丹"]
ZH_SUBJECTS = ["系统无法登录，请尽快处理", "导出报表时提示错误", "如何修改账号绑定的手机号？", "发票开具问题",
               "数据同步失败", "打印模板乱码", "申请开通新用户", "密码重置邮件收不到", "接口调用超时",
               "升级后页面显示异常", "合同附件请查收", "关于续费的咨询", "客户端闪退", "权限设置问题",
               "订单状态不更新", "服务器响应很慢"]
ZH_LINES = ["您好：", "今天上午开始，我们公司所有员工都无法登录系统，提示验证码错误。",
            "导出超过一万行的报表时，程序没有反应，等了很久也没有结果。", "附件是错误截图，请查看。",
            "我们已经按照帮助文档的步骤操作过了，但问题依旧。", "请问这个问题什么时候能够解决？",
            "核心业务已经受到影响，麻烦尽快安排技术人员处理。", "浏览器版本是最新的，也清除过缓存。",
            "另外，能否告知一下下次系统维护的时间？", "谢谢！", "此致\n敬礼",
            "如有需要，可以随时电话联系我。", "我们的客户编号是八六二一零。"]
ZH_SIGNATURES = ["某某科技有限公司 运维部", "华东分公司 信息中心", "财务部", "客户服务中心"]
ZH_FILES = ["错误截图.png", "报表.xlsx", "合同扫描件.pdf", "日志文件.zip", "说明文档.docx"]

EN_FIRST = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack", "Karen",
            "Liam", "Mia", "Noah", "Olivia", "Paul"]
EN_LAST = ["Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Taylor", "Clark", "Lewis", "Walker"]
EN_SUBJECTS = ["Cannot log in to the portal", "Export to Excel fails for reports over 10,000 rows",
               "Invoice for October is missing", "API returns 502 since this morning",
               "Password reset mail never arrives", "Question about our licence renewal",
               "Dashboard is very slow", "Printing labels produces garbled text", "Please add two new users",
               "Sync with the mobile app fails", "Re: Contract documents", "Fwd: Error after the update"]
EN_LINES = ["Hello,", "since yesterday the export stops after 10,000 rows and nothing happens.",
            "I attached a screenshot of the error message.", "We already tried a different browser.",
            "Could you please have a look as soon as possible? Our team is blocked.",
            "The problem started right after last week's update.", "Thanks in advance,",
            "Is there a workaround we can use in the meantime?", "Best regards,",
            "Our customer number is 86210.", "This affects about forty users in the sales department."]
EN_FILES = ["screenshot.png", "report.xlsx", "contract.pdf", "logs.zip", "notes.docx"]

MIME_TYPES = {"png": "image/png", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "pdf": "application/pdf", "zip": "application/zip",
              "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
ZH_CHARSETS = ["gb2312", "gbk", "utf-8"]


# -- building mail ----------------------------------------------------------------------------

def encoded_words(text: str, charset: str, rng: random.Random) -> str:
    """RFC 2047 encoded-words (B or Q), each short enough for a 76-column line, folded."""
    mode = rng.choice("BQ")
    step = 12 if mode == "B" else 6  # characters per word: B of 36 bytes is 48, Q of 18 is 54
    words = []
    for i in range(0, len(text), step):
        data = text[i:i + step].encode(charset)
        if mode == "B":
            payload = base64.b64encode(data).decode("ascii")
        else:
            payload = quopri.encodestring(data, header=True).decode("ascii").replace("=\n", "")
            payload = "".join(c if c.isalnum() or c in "=_" else f"={ord(c):02X}" for c in payload)
        words.append(f"=?{charset}?{mode}?{payload}?=")
    return (CRLF + " ").join(words)


def body_part(text: str, subtype: str, charset: str, cte: str) -> str:
    data = text.replace("\n", CRLF).encode(charset)
    if cte == "base64":
        encoded = base64.encodebytes(data).decode("ascii").replace("\n", CRLF)
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(data).decode("ascii").replace("\n", CRLF)
    else:  # 8bit: the bytes as they are, decoded back only to build the message text
        encoded = data.decode(charset)
    return (f"Content-Type: text/{subtype}; charset=\"{charset}\"{CRLF}"
            f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}{encoded}{CRLF}")


def attachment_part(filename: str, payload: bytes, charset: str, rng: random.Random) -> str:
    ext = filename.rsplit(".", 1)[-1]
    ctype = MIME_TYPES.get(ext, "application/octet-stream")
    if filename.isascii():
        name_params = f"; name=\"{filename}\"", f"; filename=\"{filename}\""
    elif rng.random() < 0.5:  # what Foxmail and Outlook in China send: RFC 2047 inside a parameter
        word = encoded_words(filename, charset, rng).replace(CRLF + " ", "")
        name_params = f"; name=\"{word}\"", f"; filename=\"{word}\""
    else:  # RFC 2231
        from urllib.parse import quote
        name_params = "", f";{CRLF} filename*={charset}''{quote(filename.encode(charset))}"
    encoded = base64.encodebytes(payload).decode("ascii").replace("\n", CRLF)
    return (f"Content-Type: {ctype}{name_params[0]}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment{name_params[1]}{CRLF}{CRLF}{encoded}")


def multipart(subtype: str, parts: list[str], boundary: str) -> str:
    inner = "".join(f"--{boundary}{CRLF}{part}{CRLF}" for part in parts)
    return (f"Content-Type: multipart/{subtype}; boundary=\"{boundary}\"{CRLF}{CRLF}"
            f"This is a multi-part message in MIME format.{CRLF}{CRLF}{inner}--{boundary}--{CRLF}")


def html_of(text: str) -> str:
    lines = "".join(f"<p>{line}</p>" for line in text.split("\n"))
    return f"<html><head><meta charset=\"utf-8\"></head><body>{lines}</body></html>"


@dataclass
class MailSet:
    """What `generate` produced, counted as it goes (the mails themselves are not kept)."""

    count: int = 0
    bytes: int = 0
    chinese: int = 0
    with_attachment: int = 0
    large: int = 0
    auto_replies: int = 0
    charsets: dict[str, int] = field(default_factory=dict)


def sample_mail(i: int, rng: random.Random, attachment_size: int = 0, auto_reply: bool = False,
                tag: str = "bench") -> tuple[bytes, bool, str]:
    """One customer mail; returns (raw bytes with CRLF, is Chinese, charset of the text)."""
    chinese = rng.random() < 0.55
    if chinese:
        charset = rng.choice(ZH_CHARSETS)
        name = rng.choice(ZH_NAMES)
        subject = rng.choice(ZH_SUBJECTS)
        lines = rng.sample(ZH_LINES[1:], rng.randint(2, 6))
        text = "\n".join([ZH_LINES[0], *lines, "", name, rng.choice(ZH_SIGNATURES)])
        domain = rng.choice(["kehu.example.cn", "qq.example.com", "163.example.com", "corp.example.cn"])
        from_header = f"{encoded_words(name, charset, rng)} <customer{i}@{domain}>"
        subject_header = encoded_words(subject, charset, rng)
        filename = rng.choice(ZH_FILES)
    else:
        charset = rng.choice(["us-ascii", "utf-8", "iso-8859-1"])
        name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
        subject = rng.choice(EN_SUBJECTS)
        lines = rng.sample(EN_LINES[1:], rng.randint(2, 6))
        text = "\n".join([EN_LINES[0], "", *lines, "", name])
        domain = rng.choice(["customer.example", "corp.example.com", "mail.example.org"])
        from_header = f"\"{name}\" <customer{i}@{domain}>"
        subject_header = subject
        filename = rng.choice(EN_FILES)
    if auto_reply:
        subject_header = "Automatic reply: " + subject_header if not chinese else \
            encoded_words("自动回复: " + subject, charset, rng)

    headers = [
        ("Return-Path", f"<customer{i}@{domain}>"),
        ("From", from_header),
        ("To", f"Example Support <{HELPDESK}>"),
        ("Subject", subject_header),
        ("Date", formatdate(1795000000 + i * 37, localtime=False)),
        ("Message-ID", f"<{tag}-{i}.{rng.getrandbits(40):010x}@{domain}>"),
        ("MIME-Version", "1.0"),
        ("X-Mailer", rng.choice(["Foxmail 7.2.25.228[cn]", "Microsoft Outlook 16.0",
                                 "Mozilla Thunderbird", "Apple Mail (2.3731)"])),
    ]
    if rng.random() < 0.1:
        headers.append(("Cc", f"colleague{i}@{domain}"))
    if rng.random() < 0.05:  # an answer to some earlier mail that is not ours
        headers.append(("In-Reply-To", f"<earlier-{i}@{domain}>"))
    if auto_reply:
        headers.append(("Auto-Submitted", "auto-replied"))

    cte = rng.choice(["base64", "quoted-printable", "8bit"]) if chinese else \
        rng.choice(["7bit", "quoted-printable"]) if charset != "us-ascii" else "7bit"
    if cte == "7bit" and not text.isascii():
        cte = "quoted-printable"
    if rng.random() < 0.35:  # multipart/alternative, as web mail and Outlook send
        body = multipart("alternative", [body_part(text, "plain", charset, cte),
                                          body_part(html_of(text), "html", "utf-8", "base64")],
                         f"----=_alt_{i}_{rng.getrandbits(32):08x}")
    else:
        body = body_part(text, "plain", charset, cte)
    if attachment_size:
        payload = rng.randbytes(attachment_size)
        body = multipart("mixed", [body, attachment_part(filename, payload, charset if chinese else "utf-8", rng)],
                         f"----=_mix_{i}_{rng.getrandbits(32):08x}")
    head = "".join(f"{key}: {value}{CRLF}" for key, value in headers)
    message = head + body
    # 8bit bodies carry the charset's own bytes; everything else is ASCII.
    raw = message.encode(charset if cte == "8bit" else "ascii")
    return raw, chinese, charset


def attachment_size_for(rng: random.Random, profile: str) -> int:
    """"mixed": ~15 % carry a small file (5-100 KB), about 15 KB a mail on average, like a support
    mailbox's everyday traffic. "large": also ~2 % with 1-10 MB and small ones up to 300 KB."""
    roll = rng.random()
    if profile == "large" and roll < 0.02:
        return rng.randint(1 * MB, 10 * MB)
    if roll < 0.17:
        return rng.randint(5 * 1024, 100 * 1024 if profile == "mixed" else 300 * 1024)
    return 0


def generate(n: int, seed: int, stats: MailSet, tag: str = "bench", auto_reply_share: float = 0.01,
             profile: str = "large", first: int = 0) -> Iterator[bytes]:
    """N deterministic mails, one at a time (a few hundred MB need not sit in memory at once);
    `first`: the number of the first one (its sender, its Message-ID), for mailboxes that follow."""
    rng = random.Random(seed)
    for i in range(first, first + n):
        size = attachment_size_for(rng, profile)
        auto = rng.random() < auto_reply_share
        raw, chinese, charset = sample_mail(i, rng, size, auto, tag)
        stats.count += 1
        stats.bytes += len(raw)
        stats.chinese += chinese
        stats.with_attachment += bool(size)
        stats.large += size >= MB
        stats.auto_replies += auto
        stats.charsets[charset] = stats.charsets.get(charset, 0) + 1
        yield raw


# -- scratch space, databases, the command line ----------------------------------------------------------

@contextmanager
def scratch_dir(prefix: str, under: str = "/tmp") -> Iterator[Path]:
    """A directory in `under` that the dovecot user can traverse (a 700 one it cannot)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=under))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Rig:
    """The servers and the maild configuration one benchmark run uses."""

    scratch: Path
    state: Path  # maild's state directory: the SQLite store and the attachment files
    dovecot: "PrivateDovecot"
    sink: "SmtpSink"
    config: Path


# A support team as the workflow sees it: a supervisor, seniors, module engineers, a day and a night
# rota, rules and a customer directory (what `ingest.py` configures for its workflow figure).
TEAM = {
    "staff": [
        {"name": "周敏", "address": "zhoumin@example.com", "roles": ["supervisor"]},
        {"name": "王强", "address": "wang@example.com", "roles": ["senior"]},
        {"name": "孙丽", "address": "sun@example.com", "roles": ["senior"]},
        {"name": "李雷", "address": "li@example.com", "roles": ["engineer"], "modules": ["账号登录"]},
        {"name": "韩梅", "address": "han@example.com", "roles": ["engineer"], "modules": ["报表"]},
        {"name": "赵云", "address": "zhao@example.com", "roles": ["engineer"]},
        {"name": "Night Desk", "address": "night@example.com", "roles": ["engineer"]},
    ],
    "module": [
        {"name": "账号登录", "keywords": ["登录", "验证码", "login", "password"]},
        {"name": "报表", "keywords": ["报表", "导出", "report", "export"]},
        {"name": "支付", "keywords": ["支付", "发票", "payment", "invoice"]},
    ],
    "rota": [
        {"staff": "zhao@example.com", "date": "2026-12-24"},
        {"staff": "zhao@example.com", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"},
        {"staff": "night@example.com", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "18:00", "to": "09:00"},
        {"staff": "han@example.com"},
    ],
    "rule": [
        {"match": ["发票", "invoice"], "type": "财务-发票", "module": "支付"},
        {"match": ["数据丢失", "data loss"], "priority": "P0"},
        {"tier": "key", "priority": "P1"},
    ],
    "customer": [{"domain": "kehu.example.cn", "organisation": "客户科技有限公司"},
                 {"domain": "customer.example", "organisation": "Customer Ltd", "tier": "key"}],
}


@contextmanager
def rig(prefix: str, database: str, **config: object) -> Iterator[Rig]:
    """A private Dovecot, an SMTP sink, a store and a maild.toml for them, all removed afterwards.

    maild's state directory is under /var/tmp, on the disk as /var/lib/maild would be: creating
    a file in this machine's /tmp takes 0.6 ms, ten to thirty times as long as anywhere else on
    the same disk, and a ticket's attachment folder and files would pay it."""
    from maild.testing.configs import local_config
    from maild.testing.dovecot import PrivateDovecot
    from maild.testing.smtpsink import SmtpSink

    with scratch_dir(prefix) as scratch, scratch_dir(prefix, under="/var/tmp") as state, \
            PrivateDovecot(workdir=scratch / "dovecot") as dovecot, SmtpSink() as sink, \
            database_url(database, state) as url:
        path = scratch / "maild.toml"
        # A thousand new customers in a second is what screen.automatic_per_hour is there to hold
        # back; the benchmarks measure how fast every one of them is answered.
        config = {"screen": {"automatic_per_hour": 1_000_000}, **config}
        path.write_text(local_config(dovecot, sink, url, state, **config), encoding="utf-8")
        yield Rig(scratch, state, dovecot, sink, path)


@contextmanager
def database_url(kind: str, state: Path) -> Iterator[str]:
    """sqlite in the state directory, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{state / 'maild.db'}"
        return
    from maild.testing.postgres import scratch_schema

    with scratch_schema("maild_bench") as url:
        yield url


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def maild_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "maild", "-c", str(config), *args]


def maild(config: Path, *args: str) -> str:
    result = subprocess.run(maild_command(config, *args), capture_output=True, text=True, env=child_env(),
                            cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"maild {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


# Runs one command and reports its wall time, exit code and figures as JSON in the file argv[1].
# maild runs some steps in child processes, so memory and CPU are those of the whole process tree,
# sampled every 20 ms: /proc/PID/task/TID/children finds the children, /proc/PID/stat their CPU
# ticks, /proc/PID/smaps_rollup their proportional set size (PSS: a page shared by forked
# processes counts once in the sum, not once per process). The top process's peak RSS comes from
# wait4(), and so does the CPU of all of it: wait4() counts every descendant its parent waited for
# (maild's children are), and the samples, short of each process's last 20 ms, count the others.
_LAUNCHER = """\
import json, os, subprocess, sys, threading, time
TICK = os.sysconf("SC_CLK_TCK")

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK

def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))

def children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(child) for child in f.read().split()]
    return found

start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
known, cpu, peak, done = {proc.pid}, {}, [0], threading.Event()

def sample():
    while not done.is_set():
        pss = 0
        for pid in list(known):
            try:
                known.update(children(pid))
                cpu[pid] = cpu_seconds(pid)
                pss += pss_kb(pid)
            except (OSError, ValueError, IndexError, StopIteration):
                pass  # gone meanwhile: its last figures stay
        peak[0] = max(peak[0], pss)
        done.wait(0.02)

sampler = threading.Thread(target=sample)
sampler.start()
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
done.set()
sampler.join()
waited_cpu = usage.ru_utime + usage.ru_stime
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "returncode": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "tree_pss_kb": peak[0], "processes": len(known),
               "cpu": max(waited_cpu, sum(cpu.values()))}, out)
"""


def run_measured(command: list[str], log: Path, figures: Path) -> dict:
    """Run `command`; its wall time, exit code, CPU seconds of its process tree, its own peak RSS
    (MB, wait4) and the peak of its whole tree's summed PSS (MB).

    Through a small launcher process: Linux carries the high-water RSS of the address space
    that a process exec()s from into its ru_maxrss, and a child forked from this process
    would inherit this process's own peak (hundreds of MB after the baseline), not the command's.
    """
    with open(log, "wb") as out:
        subprocess.run([sys.executable, "-c", _LAUNCHER, str(figures), *command], stdout=out,
                       stderr=subprocess.STDOUT, env=child_env(), cwd=ROOT, check=True)
    result = json.loads(figures.read_text())
    result["rss_mb"] = result.pop("maxrss_kb") / 1024
    result["tree_pss_mb"] = result.pop("tree_pss_kb") / 1024
    return result


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = min(max(1, math.ceil(share * len(ordered))), len(ordered))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"
