"""How the text of maild's mails is laid out, so every template reads the same whatever names and
numbers go into it: a space where Chinese text meets a Latin value (`spaced_source`, applied to a
template's source as it loads) and prose wrapped to one width (`wrap`, applied to the rendered
text part).

Pure text in, text out. Widths count a Chinese character as two columns, as a terminal or a
fixed-width mail client shows it.
"""

from __future__ import annotations

import functools
import re

WIDTH = 76  # columns of a text line (RFC 5322 §2.1.1 recommends at most 78)

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# HTML: a value may sit inside inline markup (<strong>…</strong>): the space goes outside it; a
# table cell's edge is no place for one.
INLINE_TAGS = r"(?:</?(?:a|b|code|em|i|span|strong)\b[^<>]*>)*"
_EXPRESSION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_HAN_THEN_TAGS = re.compile(f"[{HAN}]{INLINE_TAGS}\\Z")
_TAGS_THEN_HAN = re.compile(f"{INLINE_TAGS}(?=[{HAN}])")

# No line starts with closing punctuation, none ends with an opening one (the basic rule of
# Chinese line breaking).
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’·…%,.;:?!)]}")
NO_LINE_END = set("（《「『【〔〈“‘([{")


def spaced_source(source: str) -> str:
    """A template's source, where Chinese text meets a value, given one space more to put out
    when the value starts or ends in Latin letters or digits (联系 Example Support、工单
    TS20261125001; 联系某某中心 as it is). Done to the source once, when the template loads:
    `{{ (v)|space_before }}` before the value (and before inline tags around it), and
    `{{ (v)|space_after }}` after. The template's own text stays as its author wrote it."""
    out, done = [], 0
    for found in _EXPRESSION.finditer(source):
        expression = found.group(1)
        before = source[done:found.start()]
        han = _HAN_THEN_TAGS.search(before)
        if han:
            at = han.start() + 1  # after the Chinese character, before any tags
            before = f"{before[:at]}{{{{ ({expression})|space_before }}}}{before[at:]}"
        out += [before, found.group()]
        done = found.end()
        tags = _TAGS_THEN_HAN.match(source, done)
        if tags:
            out += [source[done:tags.end()], f"{{{{ ({expression})|space_after }}}}"]
            done = tags.end()
    return "".join(out) + source[done:]


def space_before(value: object) -> str:
    text = str(value)
    return " " if text[:1].isascii() and text[:1].isalnum() else ""


def space_after(value: object) -> str:
    text = str(value)
    return " " if text[-1:].isascii() and text[-1:].isalnum() else ""


# What a terminal shows two columns wide: CJK ideographs and punctuation, kana, Hangul, full-width
# forms (Unicode's East Asian Width W and F, in ranges).
_WIDE_CLASS = ("\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
               "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6")
_WIDE = re.compile(f"[{_WIDE_CLASS}]")
# Wrapping measures a line by its length once each wide character is followed by this filler.
_FILLER = "\x01"


class _Measuring(dict):
    """str.translate's table: each wide character followed by the filler, learnt as they come."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = measured = char + _FILLER if _WIDE.match(char) else char
        return measured


_MEASURED = _Measuring()


def width(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))


def wrap(text: str, columns: int = WIDTH) -> str:
    """Every prose line longer than `columns` wrapped to it; indented lines (tables, quotes of
    facts) and short lines stay as they are. Latin text breaks at spaces, Chinese between any two
    characters but never before closing or after opening punctuation; a word longer than a line
    (a URL) keeps its own line whole."""
    out = []
    for line in text.split("\n"):
        # A line of at most half the columns fits whatever its characters.
        if len(line) * 2 <= columns or line[:1].isspace() or width(line) <= columns:
            out.append(line)
        else:
            out += _wrapped(line, columns)
    return "\n".join(out)


@functools.lru_cache(maxsize=1024)  # most paragraphs of a template are the same in every mail
def _wrapped(line: str, columns: int) -> tuple[str, ...]:
    if line.isascii():
        return tuple((fits or whole).rstrip(" ") for fits, whole in _lines(columns).findall(line))
    measured = line.translate(_MEASURED)
    return tuple((fits or whole).replace(_FILLER, "").rstrip(" ")
                 for fits, whole in _lines(columns).findall(measured))


@functools.lru_cache(maxsize=8)
def _lines(columns: int) -> re.Pattern[str]:
    """The greedy line-breaker: as much as fits, ending where a line may end; else one whole word.
    A line may end before spaces (they go), at the end, after a wide character (its filler) unless
    closing punctuation follows, or before one unless opening punctuation came last."""
    no_end, no_start = re.escape("".join(NO_LINE_END)), re.escape("".join(NO_LINE_START))
    after_wide = f"(?<={_FILLER})(?<![{no_end}]{_FILLER})(?![{no_start}])"
    before_wide = f"(?<![{no_end}])(?<![{no_end}]{_FILLER})(?=[{_WIDE_CLASS}])(?![{no_start}])"
    return re.compile(f"(.{{1,{columns}}})(?: +|$|{after_wide}|{before_wide})|([^ ]+)(?: +|$)")
