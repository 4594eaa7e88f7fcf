"""The workflow's sections: [[staff]], [[module]], [[rota]], [[rule]], [[customer]], [classify] and
[workflow]. Each mistake is a configuration error naming the dotted key, entries counted from 1."""

from __future__ import annotations

import copy
import datetime

import pytest

from maild.config import (ClassifyConfig, Customer, Module, RotaEntry, Rule, StaffMember, WorkflowConfig,
                          config_from_dict, load_config)
from maild.errors import ConfigError

from .test_config import EXAMPLE, MINIMAL

WORKFLOW = {
    "staff": [
        {"name": "周敏", "address": "ZhouMin@Example.com", "roles": ["supervisor"]},
        {"name": "李工", "address": "li@example.com", "roles": ["engineer"], "modules": ["账号登录"]},
        {"name": "赵工", "address": "zhao@example.com"},
    ],
    "module": [{"name": "账号登录", "keywords": ["登录", "login"]}, {"name": "报表"}],
    "rota": [
        {"staff": "li@example.com", "date": "2026-12-24"},
        {"staff": "LI@example.com", "days": ["Mon", "tue"], "from": "18:00", "to": "09:00"},
        {"staff": "zhao@example.com"},
    ],
    "rule": [
        {"match": ["系统瘫痪", "system down"], "priority": "P0", "type": "软件异常-系统故障", "module": "账号登录"},
        {"tier": "key", "priority": "P1"},
    ],
    "customer": [
        {"domain": "Customer-A.cn", "organisation": "甲科技有限公司", "tier": "key"},
        {"address": "Boss@gmail.com", "organisation": "乙公司"},
    ],
    "classify": {"default_priority": "P3", "default_type": "咨询", "builtin_rules": False},
    "workflow": {"reopen_within": 86400, "authserv_id": "mx.example.com"},
}


def data(**changes) -> dict:
    """MINIMAL with WORKFLOW, and `changes`: section=value replaces a section, and
    "section__N" = {key: value} changes entry N (from 1) of a list, a value of None removing the key."""
    result = {**copy.deepcopy(MINIMAL), **copy.deepcopy(WORKFLOW)}
    for name, value in changes.items():
        section, _, number = name.partition("__")
        if not number:
            result[section] = value
            continue
        entry = result[section][int(number) - 1]
        for key, item in value.items():
            if item is None:
                entry.pop(key, None)
            else:
                entry[key] = item
    return result


def error(**changes) -> str:
    with pytest.raises(ConfigError) as raised:
        config_from_dict(data(**changes))
    return str(raised.value)


def test_the_sections_load_into_their_dataclasses() -> None:
    config = config_from_dict(data())
    assert config.staff[0] == StaffMember("周敏", "zhoumin@example.com", ("supervisor",), ())
    assert config.staff[1].modules == ("账号登录",)
    assert config.modules == (Module("账号登录", ("登录", "login")), Module("报表"))
    assert config.rota == (
        RotaEntry("li@example.com", date=datetime.date(2026, 12, 24)),
        RotaEntry("li@example.com", ("mon", "tue"), start=datetime.time(18), end=datetime.time(9)),
        RotaEntry("zhao@example.com"),
    )
    assert config.rules == (Rule(("系统瘫痪", "system down"), "P0", "软件异常-系统故障", "账号登录"),
                            Rule(priority="P1", tier="key"))
    assert config.customers == (Customer("甲科技有限公司", domain="customer-a.cn", tier="key"),
                                Customer("乙公司", address="boss@gmail.com"))
    assert config.classify == ClassifyConfig("P3", "咨询", False)
    assert config.workflow == WorkflowConfig(86400, "mx.example.com")


def test_without_the_sections_there_is_no_staff_and_the_defaults_hold() -> None:
    config = config_from_dict(MINIMAL)
    assert (config.staff, config.modules, config.rota, config.rules, config.customers) == ((),) * 5
    assert config.classify == ClassifyConfig("P2", "未分类", True)
    assert config.workflow == WorkflowConfig(604800, "")


def test_the_example_file_loads_into_the_dataclasses(tmp_path, monkeypatch) -> None:
    for name in ("imap_password", "smtp_password"):
        (tmp_path / name).write_text("secret\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    config = load_config(EXAMPLE)
    assert config.staff_by_address["li@example.com"].modules == ("账号登录",)
    assert [m.address for m in config.with_role("engineer")] == ["li@example.com", "zhao@example.com"]
    assert config.modules[0] == Module("账号登录", ("登录", "验证码", "login", "password"))
    assert config.rota[0] == RotaEntry("li@example.com", ("mon", "tue", "wed", "thu", "fri"),
                                       start=datetime.time(9), end=datetime.time(18))
    assert config.rota[-1] == RotaEntry("zhao@example.com")
    assert config.rules[0].priority == "P0" and config.rules[0].module == "账号登录"
    assert config.customers[0] == Customer("甲科技有限公司", domain="customer-a.cn", tier="key")
    assert config.classify == ClassifyConfig() and config.workflow == WorkflowConfig()


def test_the_helpers_find_staff_by_address_and_by_role() -> None:
    config = config_from_dict(data())
    assert config.staff_by_address["zhoumin@example.com"].name == "周敏"
    assert [m.name for m in config.with_role("supervisor")] == ["周敏"]
    assert config.with_role("kb-admin") == ()
    with pytest.raises(ValueError, match="unknown role"):
        config.with_role("boss")


def test_toml_dates_and_times_are_taken_as_well(tmp_path) -> None:
    path = tmp_path / "maild.toml"
    path.write_text('[imap]\nhost = "h"\nusername = "u"\npassword = "p"\n[smtp]\nhost = "s"\n'
                    '[helpdesk]\naddress = "a@b.c"\nname = "n"\n'
                    '[[staff]]\nname = "李"\naddress = "li@example.com"\n'
                    '[[rota]]\nstaff = "li@example.com"\ndate = 2026-12-24\nfrom = 08:30:00\nto = 12:00:00\n',
                    encoding="utf-8")
    [entry] = load_config(path).rota
    assert (entry.date, entry.start, entry.end) == (datetime.date(2026, 12, 24), datetime.time(8, 30),
                                                    datetime.time(12))


@pytest.mark.parametrize("changes, message", [
    # unknown keys, missing keys, wrong types
    ({"staff__2": {"adress": "x@example.com"}}, "staff[2].adress: unknown key (known: address, modules, name, roles)"),
    ({"rota__1": {"start": "09:00"}}, "rota[1].start: unknown key (known: date, days, from, staff, to)"),
    ({"rule__1": {"matches": ["x"]}}, "rule[1].matches: unknown key"),
    ({"customer__1": {"org": "x"}}, "customer[1].org: unknown key"),
    ({"module__1": {"keyword": ["x"]}}, "module[1].keyword: unknown key"),
    ({"staff__1": {"name": None}}, "staff[1].name: missing"),
    ({"staff__3": {"address": None}}, "staff[3].address: missing"),
    ({"module__2": {"name": None}}, "module[2].name: missing"),
    ({"rota__3": {"staff": None}}, "rota[3].staff: missing"),
    ({"customer__2": {"organisation": None}}, "customer[2].organisation: missing"),
    ({"staff__1": {"name": " "}}, "staff[1].name: empty"),
    ({"staff__1": {"roles": "supervisor"}}, "staff[1].roles: expected a list of strings"),
    ({"staff__2": {"modules": ["账号登录", 3]}}, "staff[2].modules: expected a list of strings"),
    ({"module__1": {"keywords": ["登录", ""]}}, "module[1].keywords: an empty string in the list"),
    ({"rule__1": {"match": "system down"}}, "rule[1].match: expected a list of strings"),
    ({"rule__1": {"type": 7}}, "rule[1].type: expected a string"),
    ({"staff__1": {"address": 42}}, "staff[1].address: expected a string"),
    ({"customer__1": {"tier": True}}, "customer[1].tier: expected a string"),
    ({"classify": {"builtin_rules": "yes"}}, "classify.builtin_rules: expected true or false"),
    ({"workflow": {"reopen_within": "7d"}}, "workflow.reopen_within: expected an integer"),
    ({"workflow": {"authserv_id": 5}}, "workflow.authserv_id: expected a string"),
    ({"workflow": {"reopen": 60}}, "workflow.reopen: unknown key"),
    # staff
    ({"staff__3": {"address": "Li@Example.com"}}, 'staff[3].address: "li@example.com" is already staff[2]\'s address'),
    ({"staff__3": {"address": "zhao.example.com"}}, 'staff[3].address: expected an email address, got "zhao.example.com"'),
    ({"staff__2": {"roles": ["engineer", "boss"]}}, 'staff[2].roles: unknown role "boss" (known: supervisor, senior, '
                                                    'engineer, rnd, pm, agent, kb-admin)'),
    ({"staff__2": {"modules": ["计费"]}}, 'staff[2].modules: unknown module "计费" (known: 账号登录, 报表)'),
    ({"staff__2": {"modules": ["计费"]}, "module": []}, 'staff[2].modules: unknown module "计费" (known: none'),
    ({"module__2": {"name": "账号登录"}}, 'module[2].name: "账号登录" is already module[1]\'s name'),
    # rota
    ({"rota__2": {"staff": "wang@example.com"}}, 'rota[2].staff: not a staff address: "wang@example.com"'),
    ({"rota__2": {"days": ["mon", "monday"]}}, 'rota[2].days: unknown day "monday" (known: mon, tue, wed, thu, fri, sat, sun)'),
    ({"rota__1": {"date": "2026-02-30"}}, 'rota[1].date: expected a date "YYYY-MM-DD", got \'2026-02-30\''),
    ({"rota__1": {"date": "24.12.2026"}}, "rota[1].date: expected a date"),
    ({"rota__1": {"date": datetime.datetime(2026, 12, 24, 9)}}, "rota[1].date: expected a date"),
    ({"rota__2": {"from": "9:00"}}, 'rota[2].from: expected a time "HH:MM"'),
    ({"rota__2": {"to": "24:00"}}, 'rota[2].to: expected a time "HH:MM"'),
    ({"rota__2": {"from": "18:60"}}, 'rota[2].from: expected a time "HH:MM"'),
    ({"rota__2": {"to": 900}}, 'rota[2].to: expected a time "HH:MM"'),
    ({"rota__1": {"days": ["sat"]}}, "rota[1].date: set either days (every week) or date (one day), not both"),
    ({"rota__2": {"to": None}}, "rota[2].to: missing: from is set without to"),
    ({"rota__2": {"from": None}}, "rota[2].from: missing: to is set without from"),
    ({"rota__2": {"to": "18:00"}}, "rota[2].to: the same time as from"),
    # rules
    ({"rule__1": {"priority": "P5"}}, 'rule[1].priority: unknown priority "P5" (known: P0, P1, P2, P3)'),
    ({"rule__1": {"module": "计费"}}, 'rule[1].module: unknown module "计费" (known: 账号登录, 报表)'),
    ({"rule__2": {"tier": None}}, "rule[2]: matches nothing: give match"),
    ({"rule__1": {"match": []}}, "rule[1]: matches nothing: give match"),
    ({"rule__1": {"match": ["登录", " "]}}, "rule[1].match: an empty string in the list"),
    ({"rule__2": {"priority": None}}, "rule[2]: sets nothing: give priority, type or module"),
    # customers
    ({"customer__1": {"domain": None}}, "customer[1]: give domain (everyone there) or address (one person)"),
    ({"customer__1": {"address": "ceo@customer-a.cn"}}, "customer[1].address: set either domain or address, not both"),
    ({"customer__1": {"domain": "ceo@customer-a.cn"}}, "customer[1].domain: expected a domain"),
    ({"customer__2": {"address": "boss"}}, 'customer[2].address: expected an email address, got "boss"'),
    ({"customer__2": {"address": None, "domain": "@CUSTOMER-A.cn"}},
     'customer[2].domain: "customer-a.cn" is already customer[1]\'s domain'),
    # [classify], [workflow]
    ({"classify": {"default_priority": "urgent"}}, 'classify.default_priority: unknown priority "urgent" (known: P0'),
    ({"workflow": {"reopen_within": 0}}, "workflow.reopen_within: expected a positive integer"),
    ({"workflow": {"reopen_within": -1}}, "workflow.reopen_within: expected a positive integer"),
])
def test_a_mistake_in_the_workflow_sections_is_named(changes, message) -> None:
    assert error(**changes).startswith(message)


@pytest.mark.parametrize("name", ["staff", "module", "rota", "rule", "customer"])
def test_a_single_table_instead_of_entries_says_to_write_double_brackets(name) -> None:
    assert error(**{name: {"name": "x"}}).startswith(
        f"{name}: expected [[{name}]] entries (an array of tables, one [[{name}]] header per entry), "
        f"not a single [{name}] table")


def test_a_single_staff_table_in_a_file_is_named(tmp_path) -> None:
    path = tmp_path / "maild.toml"
    path.write_text('[imap]\nhost = "h"\nusername = "u"\npassword = "p"\n[smtp]\nhost = "s"\n'
                    '[helpdesk]\naddress = "a@b.c"\nname = "n"\n[staff]\nname = "李"\naddress = "li@example.com"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^staff: expected \[\[staff\]\] entries"):
        load_config(path)


@pytest.mark.parametrize("name", ["classify", "workflow"])
def test_classify_and_workflow_are_tables(name) -> None:
    assert error(**{name: [{"x": 1}]}).startswith(f"{name}: expected a table")


def test_an_unknown_section_lists_the_workflow_sections_among_the_known() -> None:
    message = error(staf=[{"name": "x"}])
    assert message.startswith("staf: unknown section (known: ")
    assert all(name in message for name in ("staff", "module", "rota", "rule", "customer", "classify", "workflow"))

