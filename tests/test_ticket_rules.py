"""What one incoming mail does to the tickets (rules/inbound), as the actions the rule returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from maild.config import SlaConfig
from maild.parsing import parse_mail
from maild.rules.actions import AddArticle, AddParticipants, OpenTicket, QueueMail, RecordEvent, TouchTicket
from maild.rules.correlate import KnownTicket
from maild.rules.inbound import MailFacts, MailPolicy, decide
from maild.rules.screen import ScreenPolicy
from maild.rules.signed_ids import signed_message_id
from maild.rules.tickets import status_after_customer_mail

from .mails import chinese_mail, customer_mail

KEY = b"k" * 32
POLICY = MailPolicy("support@example.com", ZoneInfo("Asia/Shanghai"), "en", ScreenPolicy("X-Maild-Loop", 10),
                    SlaConfig().first_response, id_key=KEY)
# 20:30 UTC on the 24th is already the 25th in Shanghai.
RECEIVED = datetime(2026, 11, 24, 20, 30, tzinfo=timezone.utc)
OURS = signed_message_id("TS20261125001", "0123456789abcdef", KEY, "example.com")


def facts(threads: dict[str, str] | None = None, tickets: dict[str, KnownTicket] | None = None,
          recent: int = 0) -> MailFacts:
    return MailFacts("key-1@customer.example", RECEIVED, threads or {}, tickets or {}, recent)


def acknowledgement_of(outcome) -> QueueMail:
    [ack] = [a for a in outcome.actions if isinstance(a, QueueMail) and a.kind == "ack"]
    return ack


def kinds(outcome) -> list[str]:
    return [type(action).__name__ for action in outcome.actions]


def waiting_ticket(status: str = "waiting") -> dict[str, KnownTicket]:
    return {"TS20261125001": KnownTicket("TS20261125001", status, frozenset({"alice@customer.example"}))}


def test_a_new_mail_opens_a_ticket_records_it_and_queues_the_acknowledgement() -> None:
    outcome = decide(parse_mail(customer_mail()), facts(), POLICY)
    assert outcome.ticket is None and outcome.screened is None
    assert kinds(outcome)[:5] == ["OpenTicket", "AddParticipants", "RecordEvent", "AddArticle", "QueueMail"]


def test_the_ticket_number_carries_the_helpdesk_day_not_the_utc_day() -> None:
    opened = decide(parse_mail(customer_mail()), facts(), POLICY).actions[0]
    assert isinstance(opened, OpenTicket) and opened.day == date(2026, 11, 25)


def test_the_acknowledgement_goes_to_the_customer_threaded_on_their_mail() -> None:
    raw = customer_mail(message_id="<m1@customer.example>", references="<m0@customer.example>")
    ack = acknowledgement_of(decide(parse_mail(raw), facts(), POLICY))
    assert isinstance(ack, QueueMail)
    assert (ack.kind, ack.dedupe_key, ack.to.address, ack.rate_key) == (
        "ack", "ack:key-1@customer.example", "alice@customer.example", "alice@customer.example")
    assert (ack.in_reply_to, ack.references) == ("m1@customer.example", ("m0@customer.example", "m1@customer.example"))
    assert ack.context == {"customer_name": "Alice Smith", "received_at": RECEIVED, "kb": [],
                           "urgent_response_within": timedelta(hours=2), "response_within": timedelta(hours=24)}


def test_a_chinese_mail_gets_a_chinese_ticket() -> None:
    opened = decide(parse_mail(chinese_mail()), facts(), POLICY).actions[0]
    assert (opened.language, opened.subject, opened.customer_name) == ("zh", "系统无法登录，请尽快处理", "张三")


def test_a_mail_without_subject_gets_one_in_its_language() -> None:
    english = decide(parse_mail(customer_mail(subject="")), facts(), POLICY).actions[0]
    chinese = decide(parse_mail(chinese_mail(subject="Re: ")), facts(), POLICY).actions[0]
    assert (english.subject, chinese.subject) == ("(no subject)", "（无主题）")


def test_the_customer_and_their_cc_may_write_to_the_ticket_but_not_the_helpdesk_itself() -> None:
    raw = customer_mail(to="Support <support@example.com>", cc=("bob@customer.example", "Support@Example.com"))
    [people] = [a for a in decide(parse_mail(raw), facts(), POLICY).actions if isinstance(a, AddParticipants)]
    assert dict(people.people) == {"alice@customer.example": "customer", "bob@customer.example": "cc"}


def test_a_reply_joins_its_ticket_without_a_new_acknowledgement() -> None:
    mail = parse_mail(customer_mail(subject="Re: more details", in_reply_to=f"<{OURS}>"))
    outcome = decide(mail, facts({OURS: "TS20261125001"}, waiting_ticket("open")), POLICY)
    assert outcome.ticket == "TS20261125001"
    assert kinds(outcome) == ["AddArticle", "TouchTicket", "RecordEvent"]
    assert outcome.actions[1] == TouchTicket(None)  # the status stays as staff left it
    assert outcome.actions[2] == RecordEvent("customer-mail", "alice@customer.example", "via message-id",
                                             "Since this morning the login page says 'invalid captcha'.")


def test_a_customer_answer_puts_a_waiting_ticket_back_in_the_queue() -> None:
    mail = parse_mail(customer_mail(subject="Re: here it is", in_reply_to=f"<{OURS}>"))
    outcome = decide(mail, facts({OURS: "TS20261125001"}, waiting_ticket()), POLICY)
    assert outcome.actions[1] == TouchTicket("open")


def test_an_auto_reply_leaves_a_waiting_ticket_waiting_and_is_kept_on_it() -> None:
    mail = parse_mail(customer_mail(subject="Out of office", in_reply_to=f"<{OURS}>",
                                    headers={"Auto-Submitted": "auto-replied"}))
    outcome = decide(mail, facts({OURS: "TS20261125001"}, waiting_ticket()), POLICY)
    assert outcome.screened == "auto-reply"
    assert outcome.actions[:2] == (outcome.actions[0], TouchTicket(None))
    assert isinstance(outcome.actions[0], AddArticle) and outcome.actions[0].screened == "auto-reply"


def test_a_bounce_about_nothing_of_ours_is_only_stored() -> None:
    mail = parse_mail(customer_mail(sender="MAILER-DAEMON@mx.customer.example"))
    outcome = decide(mail, facts(), POLICY)
    assert (outcome.ticket, outcome.screened, outcome.actions) == (None, "bounce", ())


def test_a_list_post_opens_a_ticket_without_an_acknowledgement() -> None:
    outcome = decide(parse_mail(customer_mail(headers={"List-Id": "<l.customer.example>"})), facts(), POLICY)
    assert outcome.screened == "bulk" and "QueueMail" not in kinds(outcome)
    assert "OpenTicket" in kinds(outcome)


def test_a_sender_past_the_rate_limit_gets_a_ticket_but_no_acknowledgement() -> None:
    outcome = decide(parse_mail(customer_mail()), facts(recent=10), POLICY)
    assert outcome.screened == "rate-limit" and "QueueMail" not in kinds(outcome)


def test_a_refused_subject_tag_opens_a_new_ticket_and_says_why() -> None:
    mail = parse_mail(customer_mail(subject="[TS20261125001] me too", sender="mallory@evil.example"))
    outcome = decide(mail, facts(tickets=waiting_ticket("open")), POLICY)
    assert outcome.ticket is None
    assert RecordEvent("tag-refused", "maild", "mallory@evil.example may not write to TS20261125001") in outcome.actions


def test_the_status_after_a_customer_mail() -> None:
    assert status_after_customer_mail("waiting", answered=True) == "open"
    assert status_after_customer_mail("waiting", answered=False) == "waiting"
    assert status_after_customer_mail("in-progress", answered=True) == "in-progress"


def test_the_acknowledgement_promises_the_configured_windows() -> None:
    policy = replace(POLICY, first_response={"P0": 3600, "P1": 28800, "P2": 86400, "P3": 432000})
    ack = acknowledgement_of(decide(parse_mail(customer_mail()), facts(), policy))
    assert (ack.context["urgent_response_within"], ack.context["response_within"]) == (
        timedelta(hours=1), timedelta(days=5))  # the longest of P1-P3: a promise kept whatever the priority


def test_the_reply_to_is_where_an_engineers_answer_goes_even_when_it_is_in_cc_too() -> None:
    raw = customer_mail(cc=("it-desk@elsewhere.example",), headers={"Reply-To": "it-desk@elsewhere.example"})
    [people] = [a for a in decide(parse_mail(raw), facts(), POLICY).actions if isinstance(a, AddParticipants)]
    assert dict(people.people)["it-desk@elsewhere.example"] == "reply-to"
