"""Priority, type and module of a new ticket (guideline G3, G5), from the words of the mail.

Rules are tried in order, the config's own first and then the shipped ones; for each field
(priority, type, module) the first rule that sets it decides it, and the reason says which words
did. A mail's own urgency flag (`Importance: high`, `X-Priority: 1`) is a hint, recorded beside the
reason, never the decision: any mail client lets anyone set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

# What the rules read of a mail: its subject, and the start of its text (a problem is described
# first; quoted history and signatures come later and would only add chance matches).
TEXT_CHARS = 2000


@dataclass(frozen=True)
class ClassifyRule:
    match: tuple[str, ...] = ()  # phrases, lower-cased; any one in the subject or text matches
    priority: str | None = None
    type: str | None = None
    module: str | None = None
    tier: str | None = None  # only for customers of this tier
    source: str = "builtin"  # where it is written: "rule[2]" (the config's), or "builtin"


@dataclass(frozen=True)
class ClassifyPolicy:
    rules: tuple[ClassifyRule, ...]
    modules: Mapping[str, tuple[str, ...]]  # module name → its keywords, lower-cased, in config order
    default_priority: str = "P2"
    default_type: str = "未分类"


@dataclass(frozen=True)
class Classification:
    priority: str
    type: str
    module: str | None
    reason: str  # "P0: 系统瘫痪 in subject (builtin)"
    hint: str | None = None  # the sender's own flag, e.g. "X-Priority: 1"


def _rules(priority: str | None, type_: str | None, *phrases: str) -> ClassifyRule:
    return ClassifyRule(tuple(p.lower() for p in phrases), priority, type_)


# The guideline's words (G5), Chinese and English, most urgent first: a mail that says both
# "system down" and "how do I" is an outage.
BUILTIN: tuple[ClassifyRule, ...] = (
    _rules("P0", None, "系统瘫痪", "系统崩溃", "全部无法使用", "全部用户", "所有用户", "核心业务中断", "业务中断", "大面积",
           "system down", "is down", "outage", "all users", "everyone is affected", "core business", "production down"),
    _rules("P1", None, "无法使用", "不能用", "无法登录", "登录不了", "打不开", "报错", "失败", "异常", "崩溃", "闪退",
           "cannot", "can't", "unable to", "not working", "doesn't work", "does not work", "error", "failed", "broken",
           "crash"),
    _rules("P2", None, "显示不正确", "显示错误", "偶尔", "有时", "慢", "样式", "乱码", "slow", "sometimes", "display",
           "layout", "typo", "cosmetic"),
    _rules("P3", None, "如何", "怎么", "怎样", "请问", "咨询", "建议", "希望增加", "能否", "how do i", "how to", "how can i",
           "question", "suggestion", "feature request", "is it possible"),
    _rules(None, "硬件故障", "硬件", "服务器宕机", "打印机", "硬盘", "设备故障", "hardware", "printer", "disk failure",
           "device"),
    _rules(None, "软件异常", "报错", "错误", "异常", "失败", "崩溃", "闪退", "无法", "error", "exception", "crash", "failed",
           "bug", "cannot", "can't", "unable"),
    _rules(None, "账号问题", "账号", "帐号", "密码", "登录", "登陆", "验证码", "account", "password", "login", "log in",
           "sign in"),
    _rules(None, "使用咨询", "如何", "怎么", "怎样", "请问", "咨询", "建议", "how do i", "how to", "how can i", "question",
           "suggestion"),
)

URGENT_FLAGS = (("x-priority", ("1", "2")), ("importance", ("high",)), ("priority", ("urgent",)),
                ("x-msmail-priority", ("high",)))


def classify(subject: str, text: str, flags: Mapping[str, str], tier: str | None,
             policy: ClassifyPolicy) -> Classification:
    """`flags`: the mail's urgency headers (lower-cased names) as it carries them; `tier`: the
    customer's, from the directory."""
    where = {"subject": subject.lower(), "text": text[:TEXT_CHARS].lower()}
    decided: dict[str, tuple[str, str]] = {}  # field → (value, why)
    for rule in policy.rules:
        if rule.tier is not None and rule.tier != tier:
            continue
        why = _why(rule, where, tier)
        if why is None:
            continue
        for field in ("priority", "type", "module"):
            value = getattr(rule, field)
            if value is not None and field not in decided:
                decided[field] = (value, why)
        if len(decided) == 3:
            break
    module = decided.get("module", (None, ""))[0] or _module_by_keyword(where, policy.modules)
    type_ = decided["type"][0] if "type" in decided else policy.default_type
    if module and "-" not in type_ and type_ != policy.default_type:
        type_ = f"{type_}-{module}"  # G3's subtype: "软件异常-账号登录"
    if "priority" in decided:
        priority, why = decided["priority"]
        reason = f"{priority}: {why}"
    else:
        priority = policy.default_priority
        reason = f"{priority}: no rule matched (classify.default_priority)"
    return Classification(priority, type_, module, reason, urgency_hint(flags))


def _why(rule: ClassifyRule, where: Mapping[str, str], tier: str | None) -> str | None:
    """Why the rule matches ("系统瘫痪 in subject (builtin)"), or None when it does not."""
    if not rule.match:
        return f"a {tier} customer ({rule.source})"
    for place, words in where.items():
        for phrase in rule.match:
            if phrase in words:
                return f"{phrase} in {place} ({rule.source})"
    return None


def _module_by_keyword(where: Mapping[str, str], modules: Mapping[str, tuple[str, ...]]) -> str | None:
    for words in where.values():
        for name, keywords in modules.items():
            if any(keyword in words for keyword in keywords):
                return name
    return None


def urgency_hint(flags: Mapping[str, str]) -> str | None:
    for name, urgent in URGENT_FLAGS:
        value = flags.get(name, "").strip()
        if value and value.split()[0].lower() in urgent:
            return f"{name.title()}: {value}"
    return None
