"""Mail maild writes: threading and loop-stopping headers, the subject with its number, local times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default

from maild.config import HelpdeskConfig
from maild.outgoing.compose import Outgoing, compose
from maild.outgoing.layout import width
from maild.outgoing.notices import MailWriter
from maild.outgoing.templates import Rendered, Renderer, default_templates_dir
from maild.parsing import Address
from maild.rules.actions import QueueMail

NOW = datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)
HELPDESK = HelpdeskConfig(address="support@example.com", name="Example Support", timezone="Asia/Shanghai")


def composed(**changes) -> bytes:
    fields = dict(sender_name="Example Support", sender_address="support@example.com", to_name="张三",
                  to_address="zhangsan@kehu.example.cn", subject="[TS20261125001] 系统无法登录",
                  in_reply_to="m1@kehu.example.cn", references=("m0@kehu.example.cn", "m1@kehu.example.cn"),
                  loop_header="X-Maild-Loop")
    fields.update(changes)
    return compose(Outgoing(**fields), Rendered("text body", "<p>html body</p>"), "maild.1@example.com", NOW)


def test_our_mail_says_it_is_automatic_so_no_responder_answers_it() -> None:
    mail = message_from_bytes(composed(), policy=default)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Maild-Loop"] == "support@example.com"


def test_our_mail_threads_on_the_customer_mail() -> None:
    mail = message_from_bytes(composed(), policy=default)
    assert mail["Message-ID"] == "<maild.1@example.com>"
    assert mail["In-Reply-To"] == "<m1@kehu.example.cn>"
    assert mail["References"] == "<m0@kehu.example.cn> <m1@kehu.example.cn>"


def test_an_answer_to_our_mail_comes_back_to_the_helpdesk() -> None:
    assert message_from_bytes(composed(), policy=default)["Reply-To"] == "support@example.com"


def test_references_keep_the_twenty_nearest() -> None:
    many = tuple(f"m{n}@kehu.example.cn" for n in range(30))
    references = message_from_bytes(composed(references=many), policy=default)["References"].split()
    assert references[0] == "<m10@kehu.example.cn>" and len(references) == 20


def test_a_chinese_subject_and_name_are_encoded_words_on_the_wire() -> None:
    raw = composed()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    mail = message_from_bytes(raw, policy=default)
    assert mail["Subject"] == "[TS20261125001] 系统无法登录" and mail["To"].addresses[0].display_name == "张三"


def test_an_ascii_subject_stays_readable_on_the_wire() -> None:
    assert b"\r\nSubject: [TS20261125001] Cannot log in\r\n" in composed(subject="[TS20261125001] Cannot log in")


def test_every_line_ends_in_crlf_as_smtp_wants() -> None:
    raw = composed()
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_text_and_html_are_alternatives() -> None:
    mail = message_from_bytes(composed(), policy=default)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content().strip() == "text body"
    assert mail.get_body(("html",)).get_content().strip() == "<p>html body</p>"


def acknowledgement(language: str = "en", helpdesk: HelpdeskConfig = HELPDESK, urgent: timedelta = timedelta(hours=2),
                    others: timedelta = timedelta(hours=24), name: str = "Alice Smith"):
    queued = QueueMail("ack", "ack:k", Address("alice@customer.example", name), language, "Cannot log in",
                       {"customer_name": name, "received_at": NOW, "kb": [], "urgent_response_within": urgent,
                        "response_within": others})
    return MailWriter(helpdesk, Renderer(default_templates_dir()), b"k" * 32).write(queued, "TS20261125001", NOW)


def test_an_acknowledgement_names_its_ticket_and_the_time_in_the_helpdesk_zone() -> None:
    notice = acknowledgement()
    assert notice.subject == "[TS20261125001] Cannot log in"
    assert "Dear Alice Smith" in notice.text and "2026-11-25 09:30 (UTC+08:00)" in notice.text
    mail = message_from_bytes(notice.raw, policy=default)
    assert mail["Message-ID"] == f"<{notice.message_id}>" and notice.message_id.endswith("@example.com")
    assert str(make_header(decode_header(mail["To"]))) == "Alice Smith <alice@customer.example>"


def test_a_chinese_acknowledgement_says_beijing_time_in_china_and_the_offset_elsewhere() -> None:
    assert "受理时间：2026-11-25 09:30（北京时间）" in acknowledgement("zh", name="张三").text
    berlin = HelpdeskConfig(address="support@example.com", name="Example Support", timezone="Europe/Berlin")
    assert "受理时间：2026-11-25 02:30（UTC+01:00）" in acknowledgement("zh", berlin, name="张三").text


def test_an_acknowledgement_promises_the_configured_response_windows() -> None:
    english = acknowledgement(urgent=timedelta(hours=1), others=timedelta(days=5)).text
    assert "answered within 1 hour, all others within 5 days." in " ".join(english.split())
    chinese = acknowledgement("zh", urgent=timedelta(minutes=30), others=timedelta(hours=72), name="张三").text
    assert "将在 30 分钟内响应，其他问题在 72 小时内响应" in chinese.replace("\n", "")


def test_a_latin_name_or_number_in_chinese_text_is_set_off_by_a_space() -> None:
    notice = acknowledgement("zh", name="张三")
    assert "感谢您联系 Example Support。" in notice.text and "登记为工单 TS20261125001。" in notice.text
    html = message_from_bytes(notice.raw, policy=default).get_body(("html",)).get_content()
    assert "登记为工单 <strong>TS20261125001</strong>。" in html
    chinese_name = HelpdeskConfig(address="support@example.com", name="某某技术支持中心", timezone="Asia/Shanghai")
    assert "感谢您联系某某技术支持中心。" in acknowledgement("zh", chinese_name, name="张三").text


def test_every_paragraph_of_an_acknowledgement_is_wrapped_to_76_columns() -> None:
    long_name = HelpdeskConfig(address="support@example.com", timezone="Asia/Shanghai",
                               name="The Very Long Name Of A Support Centre That Serves Many Customers")
    for language in ("en", "zh"):
        text = acknowledgement(language, long_name, name="张三").text
        prose = [line for line in text.splitlines() if not line.startswith(" ")]
        assert max(width(line) for line in prose) <= 76, text
        assert not any(line.startswith(("，", "。")) for line in prose)


def test_a_long_subject_is_folded_into_lines_a_mail_client_accepts() -> None:
    subject = "[TS20261125001] " + " ".join(["export"] * 60)
    raw = composed(subject=subject)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert message_from_bytes(raw, policy=default)["Subject"] == subject


def test_a_long_chinese_subject_is_split_into_whole_characters() -> None:
    subject = "[TS20261125001] " + "系统无法登录，请尽快处理" * 8
    raw = composed(subject=subject)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert message_from_bytes(raw, policy=default)["Subject"] == subject


def test_line_breaks_in_a_subject_or_name_cannot_add_a_header() -> None:
    raw = composed(subject="hello\r\nBcc: victim@elsewhere.example", to_name="Eve\r\nBcc: x@y.example")
    mail = message_from_bytes(raw, policy=default)
    assert mail["Bcc"] is None and mail["Subject"] == "hello Bcc: victim@elsewhere.example"


def test_a_name_with_special_characters_is_quoted() -> None:
    mail = message_from_bytes(composed(to_name="Smith, Alice"), policy=default)
    assert mail["To"].addresses[0].display_name == "Smith, Alice"


def test_a_word_too_long_to_fold_goes_as_encoded_words() -> None:
    subject = "[TS20261125001] see https://portal.customer.example/" + "x" * 1200
    raw = composed(subject=subject)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert message_from_bytes(raw, policy=default)["Subject"] == subject
