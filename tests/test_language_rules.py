"""The language of the answer follows the customer's mail."""

from __future__ import annotations

from maild.rules.language import detect_language


def test_a_chinese_mail_is_answered_in_chinese() -> None:
    assert detect_language("系统无法登录", "今天上午开始无法登录系统。") == "zh"


def test_an_english_mail_is_answered_in_english() -> None:
    assert detect_language("Cannot log in", "Since this morning the login fails.", default="zh") == "en"


def test_a_chinese_mail_quoting_english_logs_is_still_chinese() -> None:
    assert detect_language("导出报错", "错误信息如下：\nError: connection refused at line 42 of the export job") == "zh"


def test_an_english_mail_naming_a_chinese_city_is_english() -> None:
    assert detect_language("Office move", "Our new office in 上海 opens on Monday, please update the address.") == "en"


def test_a_mail_with_no_words_gets_the_default_language() -> None:
    assert detect_language("", "12345 !!!", default="zh") == "zh"
