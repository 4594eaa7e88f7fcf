"""Priority, type and module of a new ticket (G3, G5), decided from the mail's words."""

from __future__ import annotations

from maild.rules.classify import BUILTIN, ClassifyPolicy, ClassifyRule, classify

MODULES = {"账号登录": ("登录", "验证码", "login", "password"), "报表": ("报表", "report")}
SHIPPED = ClassifyPolicy(BUILTIN, MODULES)


def classified(subject: str, text: str = "", policy: ClassifyPolicy = SHIPPED, flags=None, tier=None):
    return classify(subject, text, flags or {}, tier, policy)


def test_a_system_down_mail_is_p0_and_says_why() -> None:
    c = classified("系统瘫痪，全部无法使用")
    assert c.priority == "P0" and c.reason == "P0: 系统瘫痪 in subject (builtin)"


def test_english_outage_words_are_p0_too() -> None:
    assert classified("Urgent", "Our system is down since 9:00, all users affected").priority == "P0"


def test_a_failing_function_is_p1_and_its_module_gives_the_subtype() -> None:
    c = classified("无法登录", "今天上午开始提示验证码错误")
    assert (c.priority, c.type, c.module) == ("P1", "软件异常-账号登录", "账号登录")


def test_a_non_core_glitch_is_p2() -> None:
    assert classified("报表页面显示错误", "字体偶尔乱码").priority == "P2"


def test_a_how_to_question_is_p3_usage() -> None:
    c = classified("请问如何导出报表")
    assert (c.priority, c.type) == ("P3", "使用咨询-报表")
    assert classified("How do I add a user?").priority == "P3"


def test_without_any_known_word_the_defaults_apply() -> None:
    c = classified("Hello", "Please call me back.")
    assert (c.priority, c.type, c.module) == ("P2", "未分类", None)
    assert c.reason == "P2: no rule matched (classify.default_priority)"


def test_the_configs_rules_come_first_and_each_field_goes_to_the_first_rule_that_sets_it() -> None:
    own = (ClassifyRule(("发票",), type="财务-发票", source="rule[1]"),
           ClassifyRule(("发票", "invoice"), priority="P1", source="rule[2]"))
    c = classified("发票打不开，系统瘫痪", policy=ClassifyPolicy(own + BUILTIN, MODULES))
    assert (c.priority, c.type) == ("P1", "财务-发票") and c.reason == "P1: 发票 in subject (rule[2])"


def test_a_rule_for_a_tier_applies_only_to_that_tier() -> None:
    key_accounts = (ClassifyRule(priority="P1", tier="key", source="rule[1]"),)
    policy = ClassifyPolicy(key_accounts + BUILTIN, MODULES)
    assert classified("How do I export?", policy=policy, tier="key").reason == "P1: a key customer (rule[1])"
    assert classified("How do I export?", policy=policy).priority == "P3"


def test_the_senders_urgency_flag_is_a_hint_not_the_priority() -> None:
    c = classified("How do I export?", flags={"x-priority": "1 (Highest)"})
    assert (c.priority, c.hint) == ("P3", "X-Priority: 1 (Highest)")
    assert classified("How do I export?", flags={"importance": "High"}).hint == "Importance: High"


def test_words_deep_in_a_quoted_history_do_not_count() -> None:
    assert classified("Question", "how do I export?" + " " * 3000 + "system down").priority == "P3"
