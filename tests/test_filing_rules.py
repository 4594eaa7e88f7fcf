"""Staff open a ticket on a customer's behalf (G1): a call written up with #customer, or the
customer's mail forwarded. The customer is the ticket's; the intake record names who took it in."""

from __future__ import annotations

from dataclasses import replace

from maild.parsing import parse_mail
from maild.rules.actions import AddArticle, Assign, Classify, OpenTicket, QueueMail, RecordEvent, TouchTicket
from maild.rules.inbound import decide

from .mails import customer_mail
from .test_routing_rules import TEAM
from .test_ticket_rules import POLICY, facts

TEAM_POLICY = replace(POLICY, roster=TEAM)


def staff_mail(body: str, subject: str = "客户来电：无法登录", sender: str = "li@example.com") -> bytes:
    return customer_mail(subject=subject, body=body, sender=sender, name="李雷")


def decided(raw: bytes):
    return decide(parse_mail(raw), facts(), TEAM_POLICY)


def the(outcome, kind: type):
    return [a for a in outcome.actions if isinstance(a, kind)]


def test_customer_opens_the_ticket_for_that_customer_received_by_the_engineer() -> None:
    outcome = decided(staff_mail("#customer 张三 <zhangsan@kehu.example.cn>\n#channel 电话\n\n"
                                 "张先生来电：今天上午开始所有员工无法登录，提示验证码错误。"))
    [opened] = the(outcome, OpenTicket)
    assert (opened.customer, opened.customer_name, opened.subject) == ("zhangsan@kehu.example.cn", "张三", "客户来电：无法登录")
    assert (opened.channel, opened.received_by) == ("phone", "li@example.com")
    assert opened.intake_body == "张先生来电：今天上午开始所有员工无法登录，提示验证码错误。"
    assert outcome.screened is None


def test_a_customer_name_with_a_comma_keeps_its_address() -> None:
    [opened] = the(decided(staff_mail('#customer "Zhang, San" <zhangsan@kehu.example.cn>\n\n来电说无法登录。')),
                   OpenTicket)
    assert (opened.customer, opened.customer_name) == ("zhangsan@kehu.example.cn", "Zhang, San")


def test_the_customer_gets_the_acknowledgement_not_the_engineer() -> None:
    [ack] = [m for m in the(decided(staff_mail("#customer zhangsan@kehu.example.cn\n无法登录。")), QueueMail)
             if m.kind == "ack"]
    assert ack.to.address == "zhangsan@kehu.example.cn" and ack.in_reply_to is None
    assert ack.rate_key == "zhangsan@kehu.example.cn"


def test_the_filers_priority_and_assignee_decide_over_the_rules_and_the_rota() -> None:
    outcome = decided(staff_mail("#customer zhangsan@kehu.example.cn\n#priority P0\n#assign 赵云\n页面偶尔显示错误。"))
    [classified] = the(outcome, Classify)
    [assigned] = the(outcome, Assign)
    assert (classified.priority, classified.reason) == ("P0", "P0: #priority by li@example.com")
    assert assigned.assignee == "zhao@example.com"
    told = sorted((m.kind, m.to.address) for m in the(outcome, QueueMail) if m.kind != "ack")
    assert told == [("alert", "zhou@example.com"), ("assigned", "zhao@example.com")]


def test_the_filers_other_commands_are_carried_out_on_the_new_ticket() -> None:
    outcome = decided(staff_mail("#customer zhangsan@kehu.example.cn\n#status waiting\n请客户提供截图。"))
    assert TouchTicket("waiting") in outcome.actions
    assert RecordEvent("status", "li@example.com", "waiting") in outcome.actions


def test_a_forwarded_customer_mail_opens_the_ticket_for_the_original_sender() -> None:
    body = ("客户也打电话催了，应该是验证码服务的问题。\n\n---------- Forwarded message ---------\n"
            "From: 张三 <zhangsan@kehu.example.cn>\nSubject: 系统无法登录\n\n今天上午开始所有员工都无法登录。")
    outcome = decided(staff_mail(body, subject="Fwd: 系统无法登录"))
    [opened] = the(outcome, OpenTicket)
    assert (opened.customer, opened.subject, opened.received_by) == ("zhangsan@kehu.example.cn", "系统无法登录",
                                                                     "li@example.com")
    assert opened.intake_body == "今天上午开始所有员工都无法登录。"
    assert opened.judgement == "客户也打电话催了，应该是验证码服务的问题。"
    [article] = the(outcome, AddArticle)
    assert article.sender == "li@example.com" and article.message_id is None  # nothing to thread an answer on


def test_commands_without_a_customer_open_nothing_and_the_engineer_is_told() -> None:
    outcome = decided(staff_mail("#priority P1\n登录失败。"))
    assert the(outcome, OpenTicket) == [] and outcome.screened == "commands-refused"
    [refusal] = the(outcome, QueueMail)
    assert (refusal.kind, refusal.to.address) == ("command-error", "li@example.com")
    assert "#customer ADDRESS" in refusal.context["errors"]


def test_a_customer_that_is_no_address_is_refused() -> None:
    [refusal] = the(decided(staff_mail("#customer 张三\n无法登录。")), QueueMail)
    assert refusal.context["errors"].startswith("#customer 张三: expected the customer's mail address")


def test_a_staff_members_plain_new_mail_is_their_own_problem() -> None:
    [opened] = the(decided(staff_mail("我的电脑无法登录系统。")), OpenTicket)
    assert (opened.customer, opened.received_by) == ("li@example.com", "maild")


def test_a_customer_cannot_file_for_someone_else() -> None:
    [opened] = the(decided(customer_mail(body="#customer victim@elsewhere.example\nhello")), OpenTicket)
    assert opened.customer == "alice@customer.example"
