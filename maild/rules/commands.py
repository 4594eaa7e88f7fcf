"""Commands in an engineer's mail: the lines at the top of its new text, up to the first that is
not one. `#name value` is always a command (an unknown name is an error); `name: value` only for
a known name, so "刘先生您好：" stays text. Chinese names are welcome.

Pure: the text and what the helpdesk knows (its staff, its zone, now) in, the parsed commands or
the errors out. One error and nothing of the mail is carried out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from email.utils import parseaddr

from .screen import MAILBOX
from .survey import read_answer

STATUSES = ("in-progress", "waiting", "resolved", "closed")
PRIORITIES = ("P0", "P1", "P2", "P3")

# Every spelling → the command's one name.
NAMES = {
    "status": "status", "状态": "status",
    "priority": "priority", "优先级": "priority",
    "assign": "assign", "分派": "assign", "指派": "assign", "转派": "assign",
    "type": "type", "类型": "type",
    "eta": "eta", "预计": "eta", "预计完成": "eta",
    "note": "note", "备注": "note",
    "complex": "complex", "复杂": "complex",
    "resolve": "resolve", "解决": "resolve",
    "kb": "kb", "知识库": "kb",
    "survey": "survey", "满意度": "survey",
    "customer": "customer", "客户": "customer",
    "channel": "channel", "渠道": "channel", "来源": "channel",
}
# Only in a new mail to the support address: they open a ticket on a customer's behalf (G1).
OPENING = ("customer", "channel")
CHANNELS = ("email", "phone", "chat", "ticket-system", "on-site")
CHANNEL_WORDS = {"邮件": "email", "电话": "phone", "在线": "chat", "聊天": "chat", "在线客服": "chat",
                 "工单系统": "ticket-system", "现场": "on-site"}
STATUS_WORDS = {"处理中": "in-progress", "等待": "waiting", "等待客户": "waiting", "已解决": "resolved",
                "关闭": "closed", "已关闭": "closed"}
# The analysis report after #resolve (G11).
REPORT = {"root cause": "root_cause", "根因": "root_cause", "原因": "root_cause", "solution": "solution",
          "解决方案": "solution", "test result": "test_result", "测试结果": "test_result"}
HELP = "\n".join((  # one command a line, as the mails to engineers list them
    "#status in-progress|waiting|resolved|closed", "#priority P0-P3", "#assign ADDRESS-or-name", "#type TYPE",
    "#eta YYYY-MM-DD HH:MM (helpdesk time)", "#note (the rest of the mail is an internal note)", "#complex",
    "#resolve, then Root cause: / Solution: / Test result:", "#kb [TITLE]", "#kb publish",
    "#survey 1-3 or satisfied|basically satisfied|unsatisfied, then the suggestions (the customer's answer, taken by you)",
    "#customer ADDRESS, #channel phone|chat|ticket-system|on-site (in a new mail: a ticket for that customer)"))

_HASHED = re.compile(r"^\s*[#＃]\s*([^\s:：]+)\s*[:：]?\s*(.*?)\s*$")
_NAMED = re.compile(r"^\s*([^\s:：#＃]+)\s*[:：]\s*(.*?)\s*$")
_REPORT_LINE = re.compile(r"^\s*([^:：]{1,20}?)\s*[:：]\s*(.*?)\s*$")


@dataclass(frozen=True)
class Command:
    name: str  # one of NAMES' values
    value: str = ""


@dataclass(frozen=True)
class Parsed:
    commands: tuple[Command, ...] = ()
    errors: tuple[str, ...] = ()  # each one line; any: nothing is carried out
    text: str = ""  # what is left for the customer ("" for a #note, which keeps it internal)
    note: str = ""  # the internal note (#note's rest)
    report: dict[str, str] = field(default_factory=dict, hash=False)  # #resolve's analysis report


@dataclass(frozen=True)
class Staff:
    address: str
    name: str


def parse(text: str, staff: tuple[Staff, ...], zone: tzinfo, now: datetime, opening: bool = False) -> Parsed:
    """`opening`: the mail answers no ticket, so #customer and #channel may open one."""
    lines = text.split("\n")
    commands: list[Command] = []
    errors: list[str] = []
    report: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        found = _command(line)
        if found is None:
            break
        name, value = found
        if name not in NAMES:
            errors.append(f"unknown command #{name}")
            i += 1
            continue
        command = Command(NAMES[name], value)
        if command.name == "note":
            note = "\n".join([value, *lines[i + 1:]]).strip()
            commands.append(Command("note", note))
            return _checked(commands, errors, "", note, report, staff, zone, now, opening)
        commands.append(command)
        i += 1
        if command.name == "resolve":
            i = _report(lines, i, report)
    rest = "\n".join(lines[i:]).strip()
    return _checked(commands, errors, rest, "", report, staff, zone, now, opening)


def _command(line: str) -> tuple[str, str] | None:
    hashed = _HASHED.match(line)
    if hashed:
        return hashed.group(1).lower(), hashed.group(2)
    named = _NAMED.match(line)
    # "客户：张总反馈…" is a sentence: the opening commands are read only in their # form.
    if named and NAMES.get(named.group(1).lower()) not in (None, *OPENING):
        return named.group(1).lower(), named.group(2)
    return None


def _report(lines: list[str], i: int, report: dict[str, str]) -> int:
    """The report lines after #resolve, each `Label: text` (and the lines under it, up to the next
    label or a blank line)."""
    current = None
    while i < len(lines):
        line = lines[i]
        labelled = _REPORT_LINE.match(line)
        key = REPORT.get(labelled.group(1).strip().lower()) if labelled else None
        if key:
            current = key
            report[key] = labelled.group(2)
        elif current and line.strip() and not _HASHED.match(line):  # a #command ends the report
            report[current] = f"{report[current]}\n{line.strip()}".strip()
        else:
            break
        i += 1
    return i


def _checked(commands: list[Command], errors: list[str], text: str, note: str, report: dict[str, str],
             staff: tuple[Staff, ...], zone: tzinfo, now: datetime, opening: bool) -> Parsed:
    checked: list[Command] = []
    for command in commands:
        if command.name in OPENING and not opening:
            errors.append(f"#{command.name} opens a ticket for a customer: write it in a new mail to the support "
                          "address, not in a reply")
            continue
        value, problem = _value(command, staff, zone, now)
        if problem:
            errors.append(problem)
        else:
            checked.append(Command(command.name, value))
    if any(c.name == "resolve" for c in checked) and not report.get("solution"):
        errors.append("#resolve needs the analysis report: a Solution: line (and Root cause:, Test result:)")
    return Parsed(tuple(checked), tuple(errors), text, note, report)


def _value(command: Command, staff: tuple[Staff, ...], zone: tzinfo, now: datetime) -> tuple[str, str]:
    """The command's value as it is carried out, or what is wrong with it."""
    value = command.value.strip()
    match command.name:
        case "status":
            status = STATUS_WORDS.get(value, value.lower())
            return (status, "") if status in STATUSES else ("", f"#status {value}: expected one of "
                                                               f"{', '.join(STATUSES)}")
        case "priority":
            priority = value.upper()
            return (priority, "") if priority in PRIORITIES else ("", f"#priority {value}: expected P0, P1, P2 or P3")
        case "assign":
            wanted = value.lower()
            member = next((s for s in staff if wanted in (s.address, s.name.lower())), None)
            return (member.address, "") if member else ("", f"#assign {value}: no staff member by that address or name")
        case "type":
            return (value, "") if value else ("", "#type needs a type, e.g. #type 软件异常-账号登录")
        case "eta":
            try:
                eta = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
            except ValueError:
                return "", f"#eta {value}: expected YYYY-MM-DD HH:MM (helpdesk time)"
            if eta <= now:
                return "", f"#eta {value}: that is not in the future"
            return eta.isoformat(), ""
        case "customer":
            name, address = parseaddr(value)
            if not MAILBOX.fullmatch(address):  # one an acknowledgement can go to
                return "", f"#customer {value}: expected the customer's mail address (张三 <zhangsan@example.com>)"
            return value, ""  # as written: a quoted name ("Zhang, San" <…>) must stay quoted for parseaddr
        case "channel":
            channel = CHANNEL_WORDS.get(value, value.lower())
            return (channel, "") if channel in CHANNELS else ("", f"#channel {value}: expected one of "
                                                                  f"{', '.join(CHANNELS)}")
        case "survey":
            if read_answer(value) is None:
                return "", (f"#survey {value}: expected the rating first: 1, 2 or 3, or 满意, 基本满意, 不满意 "
                            "(satisfied, basically satisfied, unsatisfied), then the suggestions")
    return value, ""
