"""What the parser does with Outlook's winmail.dat, with charset labels nobody knows, and with
the HTML a mail brings along: no server, no disk, only bytes in and values out.

The TNEF files are the project's own (tests/tnef_fixture.py writes them); the real ones in the
shared corpus are read in place.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from maild.parsing import ParsedMail, parse_mail, sanitised_html

from .corpus import CORPUS, require_corpus
from .tnef_fixture import winmail_dat

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
REPORT = b"Uptime last month: 99.95%\r\nIncidents: 2\r\n"
TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")


def outlook_mail(attachment: bytes, body: str | None = "Please find the quotation attached.",
                 filename: str = "winmail.dat", content_type: str = "application/ms-tnef") -> bytes:
    """A mail as Outlook sends it in rich-text mode: a text part, if any, and the TNEF part."""
    boundary = "----=_NextPart_000_0001_01DA0000.12345678"
    text_part = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n") if body is not None else ""
    encoded = base64.encodebytes(attachment).decode("ascii").replace("\n", "\r\n")
    head = (
        "From: Li Lei <lilei@kehu.example.cn>\r\n"
        "To: support@example.com\r\n"
        "Subject: Quotation\r\n"
        "Message-ID: <tnef.1@kehu.example.cn>\r\n"
        "Date: Wed, 25 Nov 2026 09:15:00 +0800\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    )
    tnef_part = (f"--{boundary}\r\nContent-Type: {content_type}; name=\"{filename}\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n"
                 f"Content-Disposition: attachment; filename=\"{filename}\"\r\n\r\n{encoded}")
    return (head + text_part + tnef_part + f"--{boundary}--\r\n").encode("utf-8")


def names(mail: ParsedMail) -> list[str]:
    return [attachment.filename for attachment in mail.attachments]


def tnef_left(mail: ParsedMail) -> list[str]:
    return [a.filename for a in mail.attachments
            if a.content_type in TNEF_TYPES or a.filename.lower() == "winmail.dat"]


# -- winmail.dat ----------------------------------------------------------------------------


def test_winmail_dat_becomes_the_files_it_carries() -> None:
    parsed = parse_mail(outlook_mail(winmail_dat({"报价单.pdf": PDF, "report.txt": REPORT})))
    assert names(parsed) == ["报价单.pdf", "report.txt"]
    assert [a.payload for a in parsed.attachments] == [PDF, REPORT]
    assert not any("winmail.dat" in defect for defect in parsed.defects)


def test_files_from_winmail_dat_get_a_content_type_from_their_name() -> None:
    parsed = parse_mail(outlook_mail(winmail_dat({"报价单.pdf": PDF, "report.txt": REPORT, "data.zz9": b"?"})))
    assert [a.content_type for a in parsed.attachments] == ["application/pdf", "text/plain",
                                                            "application/octet-stream"]


def test_winmail_dat_from_an_older_outlook_keeps_its_chinese_file_name() -> None:
    # Only the short title names the file there, in the sender's code page (GBK).
    parsed = parse_mail(outlook_mail(winmail_dat({"报价单.pdf": PDF}, long_names=False)))
    assert names(parsed) == ["报价单.pdf"]


def test_file_names_inside_winmail_dat_are_made_safe() -> None:
    parsed = parse_mail(outlook_mail(winmail_dat({"..\\..\\Windows\\evil.pdf": PDF, "con.txt": REPORT})))
    assert names(parsed) == ["evil.pdf", "_con.txt"]


def test_winmail_dat_sent_as_an_octet_stream_is_opened_too() -> None:
    raw = outlook_mail(winmail_dat({"report.txt": REPORT}), content_type="application/octet-stream")
    assert names(parse_mail(raw)) == ["report.txt"]


def test_text_inside_winmail_dat_becomes_the_text_of_a_mail_without_one() -> None:
    blob = winmail_dat({"报价单.pdf": PDF}, body="您好，\r\n附件是本月的报价单，请查收。")
    parsed = parse_mail(outlook_mail(blob, body=None))
    assert parsed.text == "您好，\n附件是本月的报价单，请查收。"
    assert names(parsed) == ["报价单.pdf"]


def test_the_mails_own_text_wins_over_the_text_inside_winmail_dat() -> None:
    blob = winmail_dat({"报价单.pdf": PDF}, body="The same words, in rich text.")
    parsed = parse_mail(outlook_mail(blob, body="Please find the quotation attached."))
    assert parsed.text.strip() == "Please find the quotation attached."


def test_a_broken_winmail_dat_is_kept_and_a_defect_says_why() -> None:
    garbage = b"this is no TNEF file at all, whatever its name says"
    parsed = parse_mail(outlook_mail(garbage))
    assert [(a.filename, a.payload) for a in parsed.attachments] == [("winmail.dat", garbage)]
    assert "winmail.dat: not opened: ValueError: Wrong TNEF signature: 0x73696874" in parsed.defects


def test_a_winmail_dat_with_nothing_in_it_is_kept_and_a_defect_says_so() -> None:
    parsed = parse_mail(outlook_mail(winmail_dat()))
    assert names(parsed) == ["winmail.dat"]
    assert "winmail.dat: not opened: it holds no files and no body" in parsed.defects


def test_a_winmail_dat_cut_short_gives_what_it_has_and_says_it_is_damaged() -> None:
    blob = winmail_dat({"报价单.pdf": PDF, "report.txt": REPORT})
    parsed = parse_mail(outlook_mail(blob[:-30]))
    assert names(parsed)[0] == "报价单.pdf"
    assert "winmail.dat: damaged (cut short or corrupted); what it carried may be incomplete" in parsed.defects


def test_no_cut_of_a_winmail_dat_makes_parse_mail_raise_or_lose_it_silently() -> None:
    blob = winmail_dat({"报价单.pdf": PDF, "report.txt": REPORT}, body="您好")
    for cut in range(len(blob)):
        parsed = parse_mail(outlook_mail(blob[:cut]))
        if tnef_left(parsed):
            assert any(defect.startswith("winmail.dat: not opened: ") for defect in parsed.defects), cut


def test_opening_winmail_dat_logs_no_warnings(caplog: pytest.LogCaptureFixture) -> None:
    blob = bytearray(winmail_dat({"report.txt": REPORT}))
    blob[-1] ^= 0xFF  # a wrong checksum: tnefparse would warn about it
    with caplog.at_level(logging.DEBUG):
        parse_mail(outlook_mail(winmail_dat({"报价单.pdf": PDF})))
        parse_mail(outlook_mail(bytes(blob)))
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_real_winmail_dat_mails_leave_none_unopened_without_a_defect_saying_why() -> None:
    corpus = require_corpus()
    mails = sorted(path for path in corpus.rglob("*")
                   if path.is_file() and b"ms-tnef" in path.read_bytes().lower())
    unexplained = []
    for path in mails:
        parsed = parse_mail(path.read_bytes())
        unexplained += [f"{path.relative_to(CORPUS)}: {name}" for name in tnef_left(parsed)
                        if not any(defect.startswith(f"{name}: not opened: ") for defect in parsed.defects)]
    assert len(mails) >= 7
    assert unexplained == []


# -- charset labels nobody knows -------------------------------------------------------------

COMPLAINT = "您好，我们公司的邮件系统从昨天下午开始无法登录，提示密码错误，但是密码没有修改过。请尽快帮忙处理，谢谢！"


def labelled(charset: str, body: bytes) -> bytes:
    return (f"From: zhangsan@kehu.example.cn\r\nTo: support@example.com\r\nSubject: Login\r\n"
            f"Message-ID: <cs.1@kehu.example.cn>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            ).encode("ascii") + body


def test_gbk_text_under_an_unknown_charset_label_reads_as_chinese() -> None:
    parsed = parse_mail(labelled("x-foo", COMPLAINT.encode("gbk")))
    assert parsed.text == COMPLAINT


def test_the_charset_guessed_for_an_unknown_label_is_recorded() -> None:
    parsed = parse_mail(labelled("x-foo", COMPLAINT.encode("gbk")))
    assert "text/plain: unknown charset 'x-foo': guessed gb18030 (charset-normalizer)" in parsed.defects


def test_utf8_text_under_an_unknown_charset_label_is_taken_as_utf8() -> None:
    parsed = parse_mail(labelled("x-foo", COMPLAINT.encode("utf-8")))
    assert parsed.text == COMPLAINT
    assert "text/plain: unknown charset 'x-foo': guessed utf-8 (valid UTF-8)" in parsed.defects


def test_big5_text_under_an_unknown_charset_label_reads_as_traditional_chinese() -> None:
    text = "您好，我們公司的郵件系統從昨天下午開始無法登入，提示密碼錯誤，但是密碼沒有修改過。請盡快幫忙處理，謝謝！"
    assert parse_mail(labelled("x-foo", text.encode("big5"))).text == text


def test_a_few_chinese_words_under_an_unknown_label_still_read_as_chinese() -> None:
    # Too little text for charset-normalizer to judge: the cheaper heuristic decides.
    parsed = parse_mail(labelled("x-foo", "系统无法登录".encode("gbk")))
    assert parsed.text == "系统无法登录"
    assert "text/plain: unknown charset 'x-foo': guessed gb18030 (heuristic)" in parsed.defects


def test_a_known_label_is_not_second_guessed() -> None:
    parsed = parse_mail(labelled("gb2312", COMPLAINT.encode("gbk")))
    assert parsed.text == COMPLAINT
    assert not any("charset" in defect for defect in parsed.defects)


# -- HTML made safe to show -----------------------------------------------------------------


def test_sanitised_html_removes_scripts_and_their_code() -> None:
    cleaned = sanitised_html("<p>Hello</p><script>alert('hi')</script><SCRIPT src=https://x.example/a.js></SCRIPT>")
    assert cleaned == "<p>Hello</p>"


@pytest.mark.parametrize("handler", ["onerror", "onclick", "onload", "onmouseover", "ONCLICK"])
def test_sanitised_html_removes_event_handlers(handler: str) -> None:
    cleaned = sanitised_html(f'<p {handler}="steal()">Hi</p><img src="cid:logo" {handler}="steal()" alt="logo">')
    assert cleaned == '<p>Hi</p><img src="cid:logo" alt="logo">'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java&#x09;script:alert(1)",
                                 "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD4="])
def test_sanitised_html_removes_script_links(url: str) -> None:
    assert sanitised_html(f'<a href="{url}">click</a>') == '<a rel="noopener noreferrer nofollow">click</a>'


def test_sanitised_html_removes_iframes_forms_and_plugins() -> None:
    cleaned = sanitised_html('<iframe src="https://x.example">frame</iframe><form action="https://x.example">'
                             '<input name="password"><button>Send</button></form><object data="x.swf">o</object>'
                             '<embed src="x.swf"><style>p { display: none }</style>')
    assert "<iframe" not in cleaned and "<form" not in cleaned and "<input" not in cleaned
    assert "<object" not in cleaned and "<embed" not in cleaned and "<style" not in cleaned
    assert "frame" not in cleaned and "display" not in cleaned


def test_sanitised_html_keeps_ordinary_formatting_and_text() -> None:
    html = ('<h2>Ticket</h2><p>Dear <b>Li</b>, <i>thanks</i> for <u>the</u> <strong>report</strong> '
            '<em>again</em>.<br></p><ul><li>one</li></ul><ol><li>two</li></ol>'
            '<table><thead><tr><th colspan="2">Head</th></tr></thead><tbody><tr><td rowspan="1" align="right">'
            '1</td></tr></tbody></table><blockquote>quoted</blockquote><pre><code>code</code></pre><hr>'
            '<div><span title="tip">报价单</span></div><font color="red">red</font>')
    assert sanitised_html(html) == html


def test_sanitised_html_keeps_web_mail_and_inline_image_links_marked_as_foreign() -> None:
    cleaned = sanitised_html('<a href="https://example.com/a" target="_blank">web</a><a href="mailto:li@example.cn">'
                             'mail</a><img src="cid:part1.abc@example.cn" alt="chart">')
    assert cleaned == ('<a href="https://example.com/a" rel="noopener noreferrer nofollow">web</a>'
                       '<a href="mailto:li@example.cn" rel="noopener noreferrer nofollow">mail</a>'
                       '<img src="cid:part1.abc@example.cn" alt="chart">')


def test_sanitised_html_drops_links_relative_to_the_page_showing_the_mail() -> None:
    assert sanitised_html('<img src="/survey/1?rating=1" alt="x"><a href="//evil.example/">e</a>') == (
        '<img alt="x"><a rel="noopener noreferrer nofollow">e</a>')


def test_sanitised_html_keeps_a_whole_document_readable() -> None:
    html = ("<html><head><title>Outlook</title><style>p{}</style></head>"
            "<body onload='x()'><p>正文</p></body></html>")
    assert sanitised_html(html) == "<p>正文</p>"


# -- start-up -------------------------------------------------------------------------------


def test_importing_the_parser_loads_none_of_the_decoders_rare_mail_needs() -> None:
    probe = ("import sys, maild.parsing; "
             "print(' '.join(m for m in ('tnefparse', 'charset_normalizer', 'nh3') if m in sys.modules))")
    root = Path(__file__).resolve().parents[1]
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root)
    assert loaded.stdout.split() == []


def test_a_remote_image_is_dropped_so_opening_the_mail_tells_nobody() -> None:
    assert sanitised_html('<img src="https://tracker.example/pixel.gif" alt="pixel">') == '<img alt="pixel">'
