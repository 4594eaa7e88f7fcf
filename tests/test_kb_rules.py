"""The knowledge base's entries and search (G17), Chinese and English: pure rules."""

from __future__ import annotations

from maild.rules.kb import KbIndex, KbSource, entry_from, terms

LOGIN = (1, "登录时收不到短信验证码", "软件异常-账号登录\n账号登录\nQ: 员工无法登录，验证码收不到\nA: 短信网关余额不足",
         "为短信网关充值后重新发送验证码")
EXPORT = (2, "Report export times out", "软件异常-报表\nQ: exporting the monthly report never finishes\n"
          "A: the export job ran out of memory", "Raise the export job's memory limit and export again")
INDEX = KbIndex([LOGIN, EXPORT])


def test_chinese_is_cut_into_character_pairs_and_small_talk_is_left_out() -> None:
    found = terms("您好，无法登录")
    assert "登录" in found and not {"您好", "无法"} & found.keys()


def test_english_words_meet_their_plural_and_ing_forms() -> None:
    assert set(terms("Exports logging")) == set(terms("export logs"))


def test_a_mail_in_other_words_about_the_same_problem_gets_the_entry() -> None:
    [hit] = INDEX.suggest("请帮忙", "我们今天登录的时候手机一直没有收到短信验证码", 3)
    assert hit.id == 1 and "充值" in hit.steps


def test_an_english_mail_finds_the_english_entry() -> None:
    assert [h.id for h in INDEX.suggest("Export problem", "The report export has been running for an hour", 3)] == [2]


def test_a_mail_about_something_else_gets_no_suggestion() -> None:
    assert INDEX.suggest("发票打印格式错误", "系统导出的发票打印出来格式错乱，请尽快处理", 3) == []
    assert INDEX.suggest("Invoice layout", "The printed invoice has the wrong layout, please help", 3) == []


def test_one_shared_word_is_no_real_match_but_a_search_finds_it() -> None:
    assert INDEX.suggest("", "验证码", 3) == []
    assert [h.id for h in INDEX.search("验证码", 10)] == [1]


def test_an_empty_knowledge_base_suggests_nothing() -> None:
    assert KbIndex([]).suggest("系统无法登录", "验证码收不到", 3) == []


def test_an_entry_takes_its_title_from_kb_else_the_subject_and_its_faq_from_the_report() -> None:
    source = KbSource("无法登录", None, "软件异常-账号登录", "账号登录", "验证码收不到", "网关欠费", "充值", "已验证")
    draft = entry_from(source)
    assert (draft.title, draft.module) == ("无法登录", "账号登录")
    assert draft.faq == "Q: 验证码收不到\nA: 网关欠费" and draft.steps.startswith("充值")
    assert entry_from(KbSource(**{**source.__dict__, "title": "登录验证码"})).title == "登录验证码"
