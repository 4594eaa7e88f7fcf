"""Raw RFC 5322 bytes → a frozen ParsedMail; never raises on bad mail, records defects instead.

Imports only the kernel. The face below is what the other layers use.
"""

from .addresses import Address
from .html_safe import sanitised_html
from .mail import ParsedMail, header_message_id, message_key, parse_headers, parse_mail
from .message_ids import normalise_message_id
from .mime_parts import Attachment
from .subjects import strip_reply_prefixes

__all__ = ["Address", "Attachment", "ParsedMail", "header_message_id", "message_key", "normalise_message_id",
           "parse_headers", "parse_mail", "sanitised_html", "strip_reply_prefixes"]
