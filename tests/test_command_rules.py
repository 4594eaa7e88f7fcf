"""The commands at the top of an engineer's mail, and what is left for the customer."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from maild.rules.commands import Staff, parse

STAFF = (Staff("li@example.com", "李雷"), Staff("wang@example.com", "王强"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)


def parsed(text: str):
    return parse(text, STAFF, SHANGHAI, NOW)


def test_commands_at_the_top_are_read_and_the_rest_is_for_the_customer() -> None:
    p = parsed("#status waiting\n#priority p1\n\n刘先生您好：\n请提供浏览器版本。")
    assert [(c.name, c.value) for c in p.commands] == [("status", "waiting"), ("priority", "P1")]
    assert p.errors == () and p.text == "刘先生您好：\n请提供浏览器版本。"


def test_a_greeting_with_a_colon_is_text_and_a_known_name_with_a_colon_a_command() -> None:
    assert parsed("刘先生您好：\n已处理。").commands == ()
    assert [(c.name, c.value) for c in parsed("status: in-progress\n正在排查。").commands] == [("status", "in-progress")]


def test_chinese_names_and_values_are_welcome() -> None:
    p = parsed("#状态 已解决\n#分派 王强\n#类型 软件异常-账号登录")
    assert [(c.name, c.value) for c in p.commands] == [("status", "resolved"), ("assign", "wang@example.com"),
                                                        ("type", "软件异常-账号登录")]


def test_an_unknown_or_malformed_command_is_an_error() -> None:
    assert parsed("#stauts resolved").errors == ("unknown command #stauts",)
    assert parsed("#priority urgent").errors == ("#priority urgent: expected P0, P1, P2 or P3",)
    assert parsed("#assign nobody@example.com").errors[0].startswith("#assign nobody@example.com: no staff member")


def test_an_eta_is_helpdesk_time_and_must_lie_ahead() -> None:
    assert parsed("#eta 2026-11-26 18:00").commands[0].value == "2026-11-26T18:00:00+08:00"
    assert parsed("#eta 2026-11-25 09:00").errors == ("#eta 2026-11-25 09:00: that is not in the future",)
    assert parsed("#eta tomorrow").errors[0].startswith("#eta tomorrow: expected YYYY-MM-DD HH:MM")


def test_a_note_keeps_the_rest_of_the_mail_internal() -> None:
    p = parsed("#note 第三方验证码服务商\n的合同下月到期。")
    assert p.text == "" and p.note == "第三方验证码服务商\n的合同下月到期。"


def test_resolve_takes_the_analysis_report_after_it() -> None:
    p = parsed("#resolve\n根因：证书过期\n解决方案：更换证书，\n并加了到期提醒\n测试结果：登录正常\n\n张先生，已恢复。")
    assert p.report == {"root_cause": "证书过期", "solution": "更换证书，\n并加了到期提醒", "test_result": "登录正常"}
    assert p.text == "张先生，已恢复。"
    assert parsed("#resolve\n都好了").errors[0].startswith("#resolve needs the analysis report")


def test_customer_and_channel_open_a_ticket_only_in_a_new_mail() -> None:
    opening = parse("#customer 张三 <zhangsan@kehu.example.cn>\n#渠道 电话\n来电说无法登录。", STAFF, SHANGHAI, NOW,
                    opening=True)
    assert [(c.name, c.value) for c in opening.commands] == [("customer", "张三 <zhangsan@kehu.example.cn>"),
                                                             ("channel", "phone")]
    assert parsed("#customer zhangsan@kehu.example.cn").errors[0].startswith("#customer opens a ticket")


def test_a_customer_must_be_an_address_and_a_channel_one_of_the_known() -> None:
    bad = parse("#customer 张三\n#channel fax", STAFF, SHANGHAI, NOW, opening=True)
    assert bad.errors == ("#customer 张三: expected the customer's mail address (张三 <zhangsan@example.com>)",
                          "#channel fax: expected one of email, phone, chat, ticket-system, on-site")


def test_a_line_about_the_customer_is_text() -> None:
    assert parsed("客户：张总反馈登录慢。\n已在处理。").commands == ()
