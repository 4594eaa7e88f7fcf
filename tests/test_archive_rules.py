"""Where a ticket is archived (G16: type + date + number), whatever its type says: pure rules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from maild.config import CalendarConfig
from maild.rules.archive import archive_due, filing, safe_name, unique_names
from maild.rules.calendar import calendar_from

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_folder_and_path_name_the_type_and_the_month_of_the_number() -> None:
    place = filing("Archive/{type}/{yyyy}-{mm}", "TS20261125001", "软件异常-账号登录")
    assert place.folder_name(".") == "Archive.软件异常-账号登录.2026-11"
    assert place.folder_name("/") == "Archive/软件异常-账号登录/2026-11"
    assert place.path == ("软件异常-账号登录", "2026", "11", "TS20261125001")


def test_a_type_with_separators_stays_one_level() -> None:
    place = filing("Archive/{type}/{number}", "TS20261125001", "硬件/网络.交换机")
    assert place.folder_name(".") == "Archive.硬件_网络_交换机.TS20261125001"
    assert place.path[0] == "硬件_网络.交换机"


def test_names_the_server_or_the_disk_refuse_are_made_safe_the_same_way_every_time() -> None:
    made_safe = {"..": "_", "*%\"\\": "____", "\x00\x07": "__", " . ": "_", "../../etc": "_.._etc", "": "_"}
    assert {hostile: safe_name(hostile) for hostile in made_safe} == made_safe
    assert len(safe_name("长" * 200).encode()) <= 120
    assert safe_name("长" * 200) != safe_name("长" * 199 + "短")


def test_an_unclassified_ticket_is_filed_as_unclassified() -> None:
    assert filing("Archive/{type}", "TS20261125001", None).path[0] == "未分类"


def test_two_files_of_one_name_keep_apart() -> None:
    assert unique_names(["a.png", "a.png", "../b", "a.png"]) == ["a.png", "a-2.png", "_b", "a-3.png"]


def test_archiving_comes_the_same_time_three_working_days_after_the_resolution() -> None:
    calendar = calendar_from(CalendarConfig(), SHANGHAI)
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
    assert archive_due(friday, 3, calendar) == datetime(2026, 12, 2, 16, 0, tzinfo=SHANGHAI)
