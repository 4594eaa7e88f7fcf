"""The intake record's fields a mail gives away (G3, T1): organisation, phones, the description."""

from __future__ import annotations

from maild.rules.intake import intake_facts, organisation, phones, urgency

DIRECTORY = {"customer-a.cn": "甲科技有限公司", "boss@gmail.example": "乙贸易公司"}
SIGNED = """您好：
今天上午九点开始，所有员工都无法登录系统，提示验证码错误。
我们用的是 Chrome 浏览器，Windows 10。
麻烦尽快处理，谢谢！

张三
丙软件股份有限公司 信息部
手机：138 0013 8000
电话：010-6552 9988
"""


def test_the_directory_names_the_organisation_by_domain_or_address() -> None:
    assert organisation("zhang@customer-a.cn", "", DIRECTORY) == "甲科技有限公司"
    assert organisation("boss@gmail.example", "", DIRECTORY) == "乙贸易公司"


def test_without_the_directory_the_signature_names_it_then_the_domain() -> None:
    assert organisation("zhang@bing.example.cn", SIGNED, DIRECTORY) == "丙软件股份有限公司"
    assert organisation("ops@acme.example", "Regards,\nJane Doe\nAcme Widgets Ltd.\n", {}) == "Acme Widgets Ltd."
    assert organisation("someone@mail.example.org", "Thanks", {}) == "mail.example.org"


def test_phone_numbers_in_chinese_and_international_formats_are_found_once_each() -> None:
    assert phones(SIGNED) == ("138 0013 8000", "010-6552 9988")
    assert phones("Call +86 138-0013-8000 or 13800138000") == ("+86 138-0013-8000",)
    assert phones("Tel. +49 30 1234 5678") == ("+49 30 1234 5678",)
    assert phones("Order 20261125001 was placed in 2026") == ()


def test_the_description_is_the_sentences_that_say_what_happens_when_to_whom_and_where() -> None:
    described = intake_facts("zhang@bing.example.cn", SIGNED, {}).description
    assert "所有员工都无法登录系统" in described and "Chrome 浏览器" in described
    assert "谢谢" not in described


def test_urgency_reads_as_the_guidelines_table_writes_it() -> None:
    assert (urgency("P0"), urgency("P1"), urgency("P3")) == ("P0(紧急)", "P1(高)", "P3(低)")
