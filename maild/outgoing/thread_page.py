"""A ticket's thread as one HTML page for the archive (thread.html), readable in any browser.

Every mail's HTML is sanitised (parsing.sanitised_html: no scripts, event handlers, frames or
forms) and everything else is escaped: the archive is opened by people, and a mail is anybody's
to write.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from ..parsing import ParsedMail, sanitised_html

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #222;">
<h1>{title}</h1>
{mails}</body>
</html>
"""


def thread_page(number: str, subject: str, mails: Iterable[tuple[str, datetime, ParsedMail]]) -> str:
    """`mails`: (in | out, when, the mail), in the order of the thread."""
    return PAGE.format(title=escape(f"{number} {subject}"), mails="".join(mail_section(*mail) for mail in mails))


def mail_section(direction: str, at: datetime, mail: ParsedMail) -> str:
    sender = mail.sender.address if mail.sender else ""
    heading = f"{'→' if direction == 'out' else '←'} {at:%Y-%m-%d %H:%M %Z} {sender}: {mail.subject}"
    body = (sanitised_html(mail.html) if mail.html
            else f'<pre style="white-space: pre-wrap; font-family: inherit;">{escape(mail.text)}</pre>')
    files = "".join(f"<li>{escape(a.filename)}</li>" for a in mail.attachments if not a.inline)
    return (f'<section style="border-top: 1px solid #ccc; margin-top: 1em;">\n<h2 style="font-size: 15px;">'
            f"{escape(heading)}</h2>\n<div>{body}</div>\n{f'<ul>{files}</ul>' if files else ''}</section>\n")
