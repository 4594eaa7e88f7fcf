"""The parsing layer: raw bytes to ParsedMail, charsets, threading ids, subjects.

Fixtures are written inline: small, and each shows the one trait it tests.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from datetime import datetime, timedelta, timezone

import pytest

from maild.parsing import (Address, message_key, mime_tree, normalise_message_id, parse_headers, parse_mail,
                           strip_reply_prefixes)
from maild.parsing.charset_labels import codec_for
from maild.parsing.charsets import decode_bytes
from maild.parsing.filenames import safe_filename
from maild.parsing.header_decoding import decode_header_value
from maild.parsing.multipart import parse_multipart

# 镕, 喆 and 堃 are in GBK but not in GB2312: a strict GB2312 decoder fails on them.
GBK_TEXT = "您好，朱镕基、王喆和李堃的账号无法登录系统，请帮忙处理。"


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


def mail(*headers: str, body: bytes | str = "Hello.\n") -> bytes:
    """A message from header lines and a body (str bodies are UTF-8)."""
    head = "\r\n".join(headers).encode("utf-8")
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head + b"\r\n\r\n" + data


def simple(*extra: str, body: bytes | str = "Hello.\n") -> bytes:
    return mail(
        "From: Zhang San <Zhang.San@Example.com>",
        "To: support@example.org",
        "Subject: Login problem",
        "Message-ID: <abc.123@mail.example.com>",
        "Date: Mon, 15 Jun 2020 15:25:00 +0800",
        *extra,
        body=body,
    )


GB2312_LABELLED_GBK = mail(
    "From: =?GB2312?B?1cXI/Q==?= <zhangsan@example.cn>",
    "To: support@example.org",
    f"Subject: =?GB2312?B?{b64('回复: 系统无法登录', 'gbk')}?=",
    "Message-ID: <gbk.1@example.cn>",
    "MIME-Version: 1.0",
    'Content-Type: text/plain; charset="gb2312"',
    "Content-Transfer-Encoding: 8bit",
    body=GBK_TEXT.encode("gbk"),
)

HTML_ONLY = mail(
    "From: web@example.com",
    "Subject: html",
    "Message-ID: <html.1@example.com>",
    "MIME-Version: 1.0",
    'Content-Type: text/html; charset="utf-8"',
    body=(
        "<html><head><title>Ignored title</title><style>p {color: red}</style>"
        "<script>alert('x')</script></head><body>"
        "<p>Dear&nbsp;support,</p><div>Line one<br>Line two</div>"
        "<p>Fish &amp; chips &lt;3 &#x4e2d;&#25991;</p><ul><li>first</li><li>second</li></ul>"
        "</body></html>"
    ),
)

ATTACHMENTS = mail(
    "From: a@example.com",
    "Subject: files",
    "Message-ID: <att.1@example.com>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="XX"',
    body=(
        "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
        "--XX\r\nContent-Type: application/vnd.ms-excel\r\n"
        f'Content-Disposition: attachment; filename="=?GB2312?B?{b64("报价单.xlsx", "gbk")}?="\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(b'PK-sheet').decode()}\r\n"
        "--XX\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\n'
        "root:x:0:0\r\n"
        "--XX\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''%E5%90%88%E5%90%8C.pdf\r\n\r\n"
        "%PDF\r\n"
        "--XX\r\nContent-Type: image/png\r\nContent-ID: <sig@example.com>\r\n"
        "Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(b'PNG-bytes').decode()}\r\n"
        "--XX\r\nContent-Type: application/octet-stream\r\n\r\nno name\r\n"
        "--XX--\r\n"
    ),
)

DSN = mail(
    "Return-Path: <>",
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.cn>",
    "To: support@example.org",
    "Subject: Undelivered Mail Returned to Sender",
    "Message-ID: <dsn.1@mx.example.cn>",
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type="Delivery-Status"; boundary="B"',
    body=(
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.cn\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.cn>: Recipient address rejected\r\n\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: support@example.org\r\nTo: nobody@example.cn\r\nSubject: [Ticket#1] ack\r\n"
        "Message-ID: <ack.1@example.org>\r\n\r\nOriginal acknowledgement text.\r\n"
        "--B--\r\n"
    ),
)


# -- bodies and charsets ------------------------------------------------------------------


def test_gb2312_labelled_body_decodes_as_gbk_text() -> None:
    assert parse_mail(GB2312_LABELLED_GBK).text == GBK_TEXT


def test_x_gbk_labelled_body_decodes() -> None:
    raw = simple('Content-Type: text/plain; charset="X-GBK"', "Content-Transfer-Encoding: base64",
                 body=b64(GBK_TEXT, "gbk"))
    assert parse_mail(raw).text == GBK_TEXT


def test_us_ascii_labelled_8bit_gbk_body_still_decodes() -> None:
    raw = simple("Content-Type: text/plain; charset=us-ascii", body=GBK_TEXT.encode("gbk"))
    parsed = parse_mail(raw)
    assert parsed.text == GBK_TEXT
    assert any("us-ascii" in defect for defect in parsed.defects)


def test_unlabelled_utf8_body_decodes_as_utf8() -> None:
    assert parse_mail(simple(body="系统无法登录\n")).text == "系统无法登录\n"


def test_iso_8859_1_labelled_body_that_is_utf8_decodes_as_utf8() -> None:
    raw = simple("Content-Type: text/plain; charset=iso-8859-1", body="Grüße, 张三")
    assert parse_mail(raw).text == "Grüße, 张三"


def test_latin1_body_stays_latin1() -> None:
    raw = simple("Content-Type: text/plain; charset=iso-8859-1", body="Grüße".encode("latin-1"))
    assert parse_mail(raw).text == "Grüße"


def test_unlabelled_latin1_body_is_not_read_as_chinese() -> None:
    text = "Die Hasen klagten über ihre mißliche Lage; Grüße aus Köln."
    assert parse_mail(simple(body=text.encode("latin-1"))).text == text


def test_unlabelled_part_uses_the_charset_its_sibling_declares() -> None:
    raw = simple(
        'Content-Type: multipart/alternative; boundary="A"',
        body=b"--A\r\nContent-Type: text/plain; charset=big5\r\n\r\n" + "\u7cfb\u7d71".encode("big5")
        + b"\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>" + "\u7cfb\u7d71".encode("big5") + b"</p>\r\n--A--\r\n",
    )
    assert parse_mail(raw).html == "<p>\u7cfb\u7d71</p>"


def test_unknown_charset_label_is_recorded_and_body_still_decoded() -> None:
    raw = simple("Content-Type: text/plain; charset=x-unknown", body="中文内容".encode("gbk"))
    parsed = parse_mail(raw)
    assert parsed.text == "中文内容"
    assert any("x-unknown" in defect for defect in parsed.defects)


def test_iso_2022_jp_body_with_vendor_characters_decodes() -> None:
    raw = simple("Content-Type: text/plain; charset=ISO-2022-JP", body=b"\x1b$B-!F|K\\\x1b(B")
    assert parse_mail(raw).text == "①日本"


def test_html_only_mail_gets_readable_text() -> None:
    text = parse_mail(HTML_ONLY).text
    assert text == "Dear support,\n\nLine one\nLine two\n\nFish & chips <3 中文\n\n- first\n- second"


def test_html_only_mail_keeps_the_html() -> None:
    assert "<p>Dear&nbsp;support,</p>" in (parse_mail(HTML_ONLY).html or "")


def test_plain_alternative_is_preferred_over_html() -> None:
    raw = simple(
        'Content-Type: multipart/alternative; boundary="A"',
        body="--A\r\nContent-Type: text/plain\r\n\r\nplain words\r\n"
        "--A\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--A--\r\n",
    )
    parsed = parse_mail(raw)
    assert parsed.text == "plain words"
    assert parsed.html == "<p>html words</p>"


def test_html_charset_comes_from_meta_tag_when_content_type_has_none() -> None:
    body = '<html><head><meta charset="gb2312"></head><body>系统无法登录</body></html>'.encode("gbk")
    raw = simple("Content-Type: text/html", body=body)
    assert parse_mail(raw).text == "系统无法登录"


def test_quoted_printable_body_with_trailing_space_in_encoding_header_is_decoded() -> None:
    raw = simple("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: Quoted-Printable ",
                 body="=E4=B8=AD=E6=96=87 ok=\r\n!")
    assert parse_mail(raw).text == "中文 ok!"


# -- headers ------------------------------------------------------------------------------


def test_rfc2047_chinese_subject_is_decoded() -> None:
    assert parse_mail(GB2312_LABELLED_GBK).subject == "回复: 系统无法登录"


def test_subject_split_in_the_middle_of_a_character_is_joined() -> None:
    data = "回复: 系统无法登录".encode("utf-8")
    first, second = base64.b64encode(data[:5]).decode(), base64.b64encode(data[5:]).decode()
    raw = simple(f"Subject: =?utf-8?B?{first}?=\r\n =?utf-8?B?{second}?=")
    assert parse_mail(raw.replace(b"Subject: Login problem\r\n", b"")).subject == "回复: 系统无法登录"


def test_raw_8bit_gbk_subject_is_decoded() -> None:
    raw = mail("From: a@example.com", "Message-ID: <r@example.com>",
               "Content-Type: text/plain; charset=gbk").replace(
        b"\r\n\r\n", b"\r\nSubject: " + "系统无法登录".encode("gbk") + b"\r\n\r\n")
    assert parse_mail(raw).subject == "系统无法登录"


def test_subject_whitespace_is_collapsed() -> None:
    raw = simple().replace(b"Subject: Login problem", b"Subject:   Login \r\n\tproblem  ")
    assert parse_mail(raw).subject == "Login problem"


def test_missing_subject_is_empty() -> None:
    raw = mail("From: a@example.com", "Message-ID: <s@example.com>")
    assert parse_mail(raw).subject == ""


def test_header_lookup_is_case_insensitive_and_decoded() -> None:
    raw = simple("X-QQ-AUTO-REPLY: true", f"X-Note: =?utf-8?B?{b64('你好', 'utf-8')}?=")
    parsed = parse_mail(raw)
    assert parsed.header("x-qq-auto-reply") == "true"
    assert parsed.header("X-Note") == "你好"
    assert parsed.header("auto-submitted") is None


def test_repeated_headers_keep_every_value_in_order() -> None:
    raw = simple("Received: from a", "Received: from b")
    assert parse_mail(raw).headers["received"] == ("from a", "from b")


def test_date_is_an_aware_datetime() -> None:
    assert parse_mail(simple()).date == datetime(2020, 6, 15, 15, 25, tzinfo=timezone(timedelta(hours=8)))


def test_date_without_zone_is_taken_as_utc() -> None:
    raw = simple().replace(b"+0800", b"-0000")
    assert parse_mail(raw).date == datetime(2020, 6, 15, 15, 25, tzinfo=timezone.utc)


def test_garbage_date_is_none_with_a_defect() -> None:
    parsed = parse_mail(simple().replace(b"Mon, 15 Jun 2020 15:25:00 +0800", b"yesterday"))
    assert parsed.date is None
    assert any("Date" in defect for defect in parsed.defects)


# -- addresses ----------------------------------------------------------------------------


def test_sender_address_keeps_its_case_and_key_is_lower_case() -> None:
    sender = parse_mail(simple()).sender
    assert sender == Address("Zhang.San@Example.com", "Zhang San")
    assert sender.key == "zhang.san@example.com"


def test_encoded_display_name_is_decoded() -> None:
    assert parse_mail(GB2312_LABELLED_GBK).sender == Address("zhangsan@example.cn", "张三")


def test_raw_utf8_display_name_is_decoded() -> None:
    raw = simple().replace(b"From: Zhang San", "From: 张三".encode())
    assert parse_mail(raw).sender == Address("Zhang.San@Example.com", "张三")


def test_encoded_comma_in_display_name_does_not_split_the_address() -> None:
    raw = simple(f"Cc: =?utf-8?B?{b64('Li, Si', 'utf-8')}?= <li@example.com>, wang@example.com")
    assert parse_mail(raw).cc == (Address("li@example.com", "Li, Si"), Address("wang@example.com", ""))


def test_reply_to_and_to_are_parsed() -> None:
    raw = simple("Reply-To: Help Desk <help@example.com>")
    parsed = parse_mail(raw)
    assert parsed.reply_to == (Address("help@example.com", "Help Desk"),)
    assert parsed.to == (Address("support@example.org", ""),)


def test_missing_from_gives_no_sender_and_a_defect() -> None:
    parsed = parse_mail(mail("Subject: x", "Message-ID: <f@example.com>"))
    assert parsed.sender is None
    assert "missing From" in parsed.defects


def test_unparseable_from_keeps_the_text_as_name() -> None:
    parsed = parse_mail(simple().replace(b"From: Zhang San <Zhang.San@Example.com>", b"From: Mail System"))
    assert parsed.sender == Address("", "Mail System")


def test_from_with_null_address_keeps_the_name() -> None:
    parsed = parse_mail(simple().replace(b"From: Zhang San <Zhang.San@Example.com>", b"From: MAILER-DAEMON <>"))
    assert parsed.sender == Address("", "MAILER-DAEMON")


def test_return_path_null_is_empty_string() -> None:
    assert parse_mail(DSN).return_path == ""


def test_return_path_absent_is_none() -> None:
    assert parse_mail(simple()).return_path is None


def test_return_path_address_loses_its_brackets() -> None:
    assert parse_mail(simple("Return-Path: <bounce@example.com>")).return_path == "bounce@example.com"


# -- message ids and threading (RFC 5322 §3.6.4) -----------------------------------------


def test_message_id_is_normalised_without_brackets() -> None:
    assert parse_mail(simple()).message_id == "abc.123@mail.example.com"


def test_message_key_equals_the_parsed_message_id() -> None:
    assert message_key(simple()) == parse_mail(simple()).message_id


def test_mail_without_message_id_is_keyed_by_content_hash() -> None:
    raw = mail("From: a@example.com", "Subject: no id")
    assert parse_mail(raw).message_id is None
    assert message_key(raw) == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_mail_without_message_id_records_a_defect() -> None:
    assert "missing Message-ID" in parse_mail(mail("From: a@example.com")).defects


@pytest.mark.parametrize("broken", ["<no-at-sign>", "<two@at@signs>", "<has space@host>", "<>", "<中文@host>"])
def test_broken_message_id_is_keyed_by_content_hash(broken: str) -> None:
    raw = mail("From: a@example.com", f"Message-ID: {broken}")
    assert parse_mail(raw).message_id is None
    assert message_key(raw).startswith("sha256:")


def test_message_id_comments_and_whitespace_are_removed() -> None:
    assert normalise_message_id("  (server id) <A1.B2@Host.Example>  ") == "A1.B2@Host.Example"


def test_overlong_message_id_is_not_used() -> None:
    assert normalise_message_id("<" + "a" * 250 + "@h>") is None


def test_in_reply_to_with_trailing_phrase_gives_the_id() -> None:
    raw = simple('In-Reply-To: <parent@example.com> (Zhang San\'s message of "Mon, 15 Jun")')
    assert parse_mail(raw).in_reply_to == ("parent@example.com",)


def test_references_keep_their_order_across_folded_lines() -> None:
    raw = simple("References: <root@a.example>\r\n\t<mid@b.example> (comment)\r\n <last@c.example>")
    assert parse_mail(raw).references == ("root@a.example", "mid@b.example", "last@c.example")


def test_references_without_brackets_are_still_read() -> None:
    assert parse_mail(simple("References: root@a.example, mid@b.example")).references == (
        "root@a.example", "mid@b.example")


def test_references_skip_broken_ids() -> None:
    assert parse_mail(simple("References: <good@a.example> <broken> <also@b.example>")).references == (
        "good@a.example", "also@b.example")


# -- attachments --------------------------------------------------------------------------


def test_chinese_attachment_name_is_decoded() -> None:
    first = parse_mail(ATTACHMENTS).attachments[0]
    assert (first.filename, first.content_type, first.payload) == ("报价单.xlsx", "application/vnd.ms-excel", b"PK-sheet")


def test_path_traversal_filename_is_reduced_to_its_base_name() -> None:
    assert parse_mail(ATTACHMENTS).attachments[1].filename == "passwd"


def test_rfc2231_filename_is_decoded() -> None:
    assert parse_mail(ATTACHMENTS).attachments[2].filename == "合同.pdf"


def test_inline_image_with_content_id_is_marked_inline() -> None:
    image = parse_mail(ATTACHMENTS).attachments[3]
    assert (image.inline, image.payload) == (True, b"PNG-bytes")


def test_attachment_without_name_gets_a_numbered_fallback() -> None:
    assert parse_mail(ATTACHMENTS).attachments[4].filename == "attachment-5.bin"


def test_attachments_are_not_part_of_the_text() -> None:
    assert parse_mail(ATTACHMENTS).text == "See attached."


def test_raw_8bit_gbk_filename_is_decoded() -> None:
    raw = simple('Content-Type: multipart/mixed; boundary="Z"', body=b"--Z\r\nContent-Type: application/octet-stream\r\n"
                 b'Content-Disposition: attachment; filename="' + "报告.doc".encode("gbk") + b'"\r\n\r\nx\r\n--Z--\r\n')
    assert parse_mail(raw).attachments[0].filename == "报告.doc"


def test_safe_filename_drops_leading_dots_and_control_characters() -> None:
    assert safe_filename("..\x00.hidden\u202egpj.exe", 1, "application/octet-stream") == "hiddengpj.exe"


def test_safe_filename_caps_length_but_keeps_extension() -> None:
    name = safe_filename("报" * 300 + ".pdf", 1, "application/pdf")
    assert name.endswith(".pdf") and name.startswith("报") and len(name.encode("utf-8")) <= 200


def test_safe_filename_falls_back_for_directory_only_names() -> None:
    assert safe_filename("../../", 3, "message/rfc822") == "attachment-3.eml"


def test_ten_megabyte_attachment_round_trips() -> None:
    payload = os.urandom(10 * 1024 * 1024)
    raw = simple('Content-Type: multipart/mixed; boundary="Z"',
                 body=b"--Z\r\nContent-Type: text/plain\r\n\r\nbig\r\n--Z\r\nContent-Type: application/zip\r\n"
                 b'Content-Disposition: attachment; filename="big.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                 + base64.encodebytes(payload) + b"--Z--\r\n")
    assert parse_mail(raw).attachments[0].payload == payload


# -- delivery status notifications --------------------------------------------------------


def test_dsn_reports_its_content_and_report_type() -> None:
    parsed = parse_mail(DSN)
    assert (parsed.content_type, parsed.report_type) == ("multipart/report", "delivery-status")


def test_dsn_text_is_the_human_readable_part_only() -> None:
    assert parse_mail(DSN).text.startswith("I'm sorry to have to inform you")
    assert "Original acknowledgement" not in parse_mail(DSN).text


def test_dsn_delivery_status_is_an_attachment_with_its_fields() -> None:
    status = parse_mail(DSN).attachments[0]
    assert status.content_type == "message/delivery-status"
    assert b"Status: 5.1.1" in status.payload and b"Final-Recipient: rfc822; nobody@example.cn" in status.payload


def test_dsn_returned_message_is_an_attachment_that_parses_again() -> None:
    returned = parse_mail(DSN).attachments[1]
    assert returned.content_type == "message/rfc822"
    assert parse_mail(returned.payload).message_id == "ack.1@example.org"


# -- anything at all ----------------------------------------------------------------------


def test_empty_bytes_parse_to_an_empty_mail() -> None:
    parsed = parse_mail(b"")
    assert (parsed.sender, parsed.subject, parsed.text, parsed.attachments) == (None, "", "", ())


def test_empty_bytes_have_a_content_hash_key() -> None:
    assert message_key(b"") == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_binary_junk_never_raises() -> None:
    junk = bytes(range(256)) * 64 + b"\xff\xfe\x00\r\n\r\n--\x00"
    parsed = parse_mail(junk)
    assert parsed.defects
    assert message_key(junk).startswith("sha256:")


def test_deeply_nested_multipart_never_raises() -> None:
    depth = 2000
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    parsed = parse_mail(b"From: a@example.com\r\n" + head.encode() + b"\r\ninner\r\n")
    assert parsed.sender == Address("a@example.com", "")
    assert parsed.defects[0].startswith("MIME structure unparseable")


def test_parsed_mail_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_mail(simple()).subject = "changed"  # type: ignore[misc]


# -- subjects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Login problem", "Login problem"),
        ("RE: Fwd: FW: Login problem", "Login problem"),
        ("Re[2]: AW: WG: SV: VS: Antw: R: Login", "Login"),
        ("Re(3): Login", "Login"),
        ("回复: 系统无法登录", "系统无法登录"),
        ("答复：回覆：转发: 轉寄：转寄: 系统无法登录", "系统无法登录"),
        ("Fw : Re:Login", "Login"),
        ("Login: Re: problem", "Login: Re: problem"),
        ("Rebooting: server", "Rebooting: server"),
        ("Re: [Ticket#2024] x  y ", "[Ticket#2024] x  y "),
    ],
)
def test_reply_prefixes_are_stripped(subject: str, expected: str) -> None:
    assert strip_reply_prefixes(subject) == expected


# -- charsets module ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [("GB2312", "gb18030"), ("gbk", "gb18030"), ("X-GBK", "gb18030"), ("iso-gb2312", "gb18030"),
     ("gb_2312-80", "gb18030"), ("ks_c_5601-1987", "cp949"), ("unicode-1-1-utf-7", "utf-7"),
     ("x-unknown", "utf-8"), ("unknown-8bit", "utf-8"), ("", "utf-8"), (None, "utf-8"),
     ('"UTF-8"', "utf-8"), ("3Dutf-8", "utf-8"), ("base64", "utf-8"), ("iso-8859-8-i", "iso8859-8")],
)
def test_codec_for_maps_odd_labels_to_existing_codecs(label: str | None, codec: str) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize("label", [None, "", "gb2312", "utf-8", "us-ascii", "utf-16", "utf-7", "iso-2022-jp",
                                   "x-unknown", "base64", "undefined", "\x00", "big5", "rot13"])
def test_decode_bytes_never_raises(label: str | None) -> None:
    assert isinstance(decode_bytes(bytes(range(256)) + b"\xe4\xb8", label), str)


def test_truncated_gbk_is_decoded_with_one_replacement() -> None:
    assert decode_bytes("系统无法登录".encode("gbk")[:-1], "gbk") == "系统无法登\ufffd"


def test_header_with_missing_whitespace_between_words_and_text_decodes() -> None:
    value = f"Re:=?x-gbk?B?{b64('测试', 'gbk')}?=abc"
    assert decode_header_value(value) == "Re:测试abc"


def test_header_with_words_in_two_charsets_decodes_each() -> None:
    value = "=?utf-8?q?hello_?= =?iso-8859-1?q?caf=E9?="
    assert decode_header_value(value) == "hello café"


@pytest.mark.parametrize("value", [
    "alice@customer.example", "<alice@customer.example>", "Alice Smith <alice@customer.example>",
    '"Smith, Alice" <alice@customer.example>', "=?utf-8?B?5byg5LiJ?= <zhangsan@kehu.example.cn>",
    "  Bob   <bob.o'neil+help@mail.customer.example>  ",
])
def test_plain_address_forms_read_as_the_general_parser_reads_them(value: str) -> None:
    from maild.parsing.addresses import _mailparser_pairs, _simple_pair

    assert _simple_pair(value) == _mailparser_pairs(value, "from", [])


def test_a_from_header_of_white_space_is_read_like_any_other() -> None:
    # 20,000 spaces: a pattern that could match them in more than one way would take hours here.
    mail = parse_mail(b"From:\r\n" + b" " * 20_000 + b"x\r\nTo: support@example.com\r\n\r\nhello\r\n")
    assert mail.sender is not None and mail.sender.address == "" and mail.to[0].address == "support@example.com"


# -- a multipart mail split at its boundaries reads as the stdlib's full parse reads it ----------

def multipart_mail(body: str, subtype: str = "mixed", eol: str = "\r\n") -> bytes:
    head = ["From: Alice <alice@customer.example>", "To: support@example.com", "Subject: parts",
            "Message-ID: <parts@customer.example>", "MIME-Version: 1.0",
            f'Content-Type: multipart/{subtype}; boundary="B1"', "", ""]
    return (eol.join(head) + body.replace("\n", eol)).encode("utf-8")


ATTACHMENT = base64.encodebytes(os.urandom(3000)).decode()
TAKEN = {
    "nested, with preamble and epilogue": multipart_mail(
        "This is a multi-part message.\n--B1\nContent-Type: multipart/alternative; boundary=B2\n\npreamble\n"
        "--B2\nContent-Type: text/plain; charset=utf-8\n\n您好，系统无法登录。\n--B2\nContent-Type: text/html\n\n"
        "<p>hi</p>\n--B2--\ninner epilogue\n--B1\nContent-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=log.bin\n\n"
        f"{ATTACHMENT}--B1--\nepilogue\n"),
    "LF line ends": multipart_mail("--B1\nContent-Type: text/plain\n\nhello\n--B1--\n", eol="\n"),
    "a lone CR before CRLF in the body": multipart_mail(
        "--B1\nContent-Type: text/plain\n\nline one\r\nline two\n--B1--\n"),  # CR CR LF once in CRLF
    "white space after a boundary": multipart_mail("--B1  \nContent-Type: text/plain\n\nhello\n--B1-- \n"),
    "the boundary inside a line": multipart_mail("--B1\nContent-Type: text/plain\n\nsee --B1 here\n--B1--"),
    "a part without headers": multipart_mail("--B1\n\njust text\n--B1--\n"),
}
DECLINED = {
    "no closing boundary": multipart_mail("--B1\nContent-Type: text/plain\n\nhello\n"),
    "two boundary lines in a row": multipart_mail("--B1\n--B1\nContent-Type: text/plain\n\nhello\n--B1--\n"),
    "a digest": multipart_mail("--B1\n\nFrom: a@b.example\nSubject: one\n\nbody\n--B1--\n", subtype="digest"),
    "an enclosed message": multipart_mail(
        "--B1\nContent-Type: message/rfc822\n\nFrom: a@b.example\nSubject: inner\n\nbody\n--B1--\n"),
    "no first boundary": multipart_mail("just text\n"),
}


@pytest.mark.parametrize("raw", TAKEN.values(), ids=TAKEN.keys())
def test_a_plain_multipart_mail_is_split_at_its_boundaries_with_the_same_result(raw, monkeypatch) -> None:
    assert parse_multipart(raw, mime_tree.PARSER.parser.policy) is not None
    split = parse_mail(raw)
    monkeypatch.setattr(mime_tree, "parse_multipart", lambda data, policy: None)
    assert split == parse_mail(raw)


@pytest.mark.parametrize("raw", DECLINED.values(), ids=DECLINED.keys())
def test_a_multipart_mail_of_another_shape_takes_the_full_parse(raw) -> None:
    assert parse_multipart(raw, mime_tree.PARSER.parser.policy) is None


def test_the_headers_alone_give_sender_and_subject_of_a_huge_mail() -> None:
    raw = (b"From: =?utf-8?b?5byg5LiJ?= <zhang@kehu.example.cn>\r\nSubject: =?gbk?b?z7XNs87et6i1x8K8?=\r\n"
           b"Message-ID: <huge@kehu.example.cn>\r\n\r\n" + b"x" * 10_000_000)
    mail = parse_headers(raw)
    assert (mail.sender.name, mail.sender.address, mail.subject) == ("张三", "zhang@kehu.example.cn", "系统无法登录")
    assert mail.message_id == "huge@kehu.example.cn" and len(mail.text) < 4  # the body is not read
