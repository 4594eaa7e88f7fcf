"""How maild lays out the text of its mails: wrapped prose, Chinese broken where it may be."""

from __future__ import annotations

from maild.outgoing.layout import width, wrap
from maild.outgoing.templates import Renderer


def test_a_chinese_character_takes_two_columns() -> None:
    assert width("工单 TS1") == 8


def test_english_prose_breaks_between_words() -> None:
    text = "An engineer will look into it and contact you as soon as the problem is understood."
    assert wrap(text, 40).splitlines() == ["An engineer will look into it and", "contact you as soon as the problem is",
                                           "understood."]


def test_chinese_prose_breaks_between_characters_but_never_before_closing_punctuation() -> None:
    lines = wrap("工程师将尽快处理并与您联系。紧急问题将在两小时内响应。", 28).splitlines()
    assert "".join(lines) == "工程师将尽快处理并与您联系。紧急问题将在两小时内响应。"
    assert all(width(line) <= 28 for line in lines) and not any(line.startswith("。") for line in lines)


def test_indented_lines_and_a_word_longer_than_a_line_stay_whole() -> None:
    table = "  Subject:  " + "export " * 20
    url = "https://support.example.com/" + "x" * 90
    assert wrap(table) == table
    assert wrap(f"See {url} please") == f"See\n{url}\nplease"


def rendered(tmp_path, text: str, **context: str) -> str:
    (tmp_path / "zh").mkdir(exist_ok=True)
    (tmp_path / "zh" / "note.txt").write_text(text, encoding="utf-8")
    (tmp_path / "zh" / "note.html").write_text(text, encoding="utf-8")
    return Renderer(tmp_path).render("note", "zh", context).text


def test_a_space_goes_only_where_chinese_text_meets_a_latin_value(tmp_path) -> None:
    assert rendered(tmp_path, "联系{{ name }}公司", name="ACME") == "联系 ACME 公司"
    assert rendered(tmp_path, "联系{{ name }}。", name="某公司") == "联系某公司。"
    assert rendered(tmp_path, "ticket {{ number }}.", number="TS1") == "ticket TS1."
    assert rendered(tmp_path, "登录ERP系统{{ x }}", x="") == "登录ERP系统"  # the template's own text: as written
    assert rendered(tmp_path, "主题：{{ subject }}", subject="登录ERP系统") == "主题：登录ERP系统"  # a value's own: too


def test_in_html_the_space_goes_outside_inline_markup(tmp_path) -> None:
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "note.txt").write_text("", encoding="utf-8")
    (tmp_path / "zh" / "note.html").write_text("<td>时间</td><td>{{ at }}</td> 工单<strong>{{ number }}</strong>。",
                                               encoding="utf-8")
    html = Renderer(tmp_path).render("note", "zh", {"at": "2026", "number": "TS1"}).html
    assert html == "<td>时间</td><td>2026</td> 工单 <strong>TS1</strong>。"
