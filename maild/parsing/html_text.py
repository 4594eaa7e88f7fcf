"""HTML bodies as readable text, for mail that has no text/plain part.

The stdlib html.parser is enough: it is tolerant, fast and dependency-free,
and a readable approximation is all the helpdesk needs from HTML-only mail.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "title", "template"})
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "pre", "hr", "dl"})
_LINES = frozenset(
    {"div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address",
     "center", "form", "fieldset", "main", "nav", "aside", "figure", "caption", "tbody", "thead"}
)
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
_TAG = re.compile(r"<[^>]*>")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks as lines, entities unescaped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.chunks)
    except Exception:  # noqa: BLE001 - html.parser asserts on some markup
        text = unescape(_TAG.sub(" ", html))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    """Collects text; block tags become line breaks (paragraphs: blank lines)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._pending = 0  # newlines owed before the next text
        self._skip = 0  # depth inside elements whose text is not shown
        self._bullet = False  # a list item has started and awaits its text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "br":
            self._pending += 1
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        self._block(tag)
        self._bullet = self._bullet or tag == "li"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed <script/> or <style/> has no text to skip.
        if tag not in _SKIPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        self._block(tag)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        text = _SPACES.sub(" ", data)
        if self._pending:
            text = text.lstrip()
            if not text:
                return
            self._break_line()
        if self._bullet and text.strip():
            text, self._bullet = "- " + text.lstrip(), False
        self.chunks.append(text)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._pending = max(self._pending, 2)
        elif tag in _LINES:
            self._pending = max(self._pending, 1)

    def _break_line(self) -> None:
        """Pay the newlines owed; none before the first text."""
        if self.chunks:
            self.chunks.append("\n" * self._pending)
        self._pending = 0
