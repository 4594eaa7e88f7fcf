"""Who handles a new ticket (G6): seniors for P0, module engineers for P1, the rota for P2/P3."""

from __future__ import annotations

from datetime import date, datetime, time

from maild.rules.routing import Engineer, Roster, Shift, assign

ZHOU = Engineer("zhou@example.com", "周敏", frozenset({"supervisor"}))
WANG = Engineer("wang@example.com", "王强", frozenset({"senior"}))
SUN = Engineer("sun@example.com", "孙丽", frozenset({"senior"}))
LI = Engineer("li@example.com", "李雷", frozenset({"engineer"}), frozenset({"账号登录"}))
ZHAO = Engineer("zhao@example.com", "赵云", frozenset({"engineer"}))
NIGHT = Engineer("night@example.com", "夜班", frozenset({"engineer"}))

ROTA = (
    Shift("zhao@example.com", date=date(2026, 12, 24)),  # Christmas Eve: Zhao all day
    Shift("li@example.com", frozenset({"mon", "tue", "wed", "thu", "fri"}), start=time(9), end=time(18)),
    Shift("night@example.com", frozenset({"mon", "tue", "wed", "thu", "fri"}), start=time(18), end=time(9)),
    Shift("zhao@example.com"),  # whatever is left: the weekend
)
TEAM = Roster((ZHOU, WANG, SUN, LI, ZHAO, NIGHT), ROTA)
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0)


def test_p0_goes_to_the_least_loaded_senior_and_the_supervisor_is_told() -> None:
    a = assign("P0", None, TEAM, {"wang@example.com": 3, "sun@example.com": 1}, WEDNESDAY_10)
    assert a.assignee == SUN and a.tell == (ZHOU,)
    assert a.reason == "P0: least-loaded senior engineer (1 open)"


def test_equally_loaded_seniors_go_in_config_order() -> None:
    assert assign("P0", None, TEAM, {}, WEDNESDAY_10).assignee == WANG


def test_p1_goes_to_the_engineer_of_its_module() -> None:
    a = assign("P1", "账号登录", TEAM, {}, datetime(2026, 11, 28, 3, 0))  # a Saturday night
    assert a.assignee == LI and a.reason == "P1: engineer of module 账号登录"


def test_p1_of_a_module_without_engineer_goes_to_the_one_on_duty() -> None:
    a = assign("P1", "报表", TEAM, {}, WEDNESDAY_10)
    assert a.assignee == LI and a.reason.startswith("P1: no engineer for module 报表; on duty")


def test_p2_in_office_hours_goes_to_the_day_shift() -> None:
    assert assign("P2", None, TEAM, {}, WEDNESDAY_10).assignee == LI


def test_a_night_shift_covers_the_evening_and_the_early_morning_after() -> None:
    assert assign("P3", None, TEAM, {}, datetime(2026, 11, 25, 23, 30)).assignee == NIGHT  # Wednesday night
    assert assign("P3", None, TEAM, {}, datetime(2026, 11, 26, 8, 59)).assignee == NIGHT  # Thursday early
    assert assign("P3", None, TEAM, {}, datetime(2026, 11, 26, 9, 0)).assignee == LI


def test_the_weekend_falls_to_the_entry_that_covers_what_is_left() -> None:
    assert assign("P2", None, TEAM, {}, datetime(2026, 11, 28, 14, 0)).assignee == ZHAO  # Saturday
    # Friday's night shift still covers Saturday's early morning.
    assert assign("P2", None, TEAM, {}, datetime(2026, 11, 28, 7, 0)).assignee == NIGHT


def test_a_date_override_wins_over_the_weekday_shifts() -> None:
    assert assign("P2", None, TEAM, {}, datetime(2026, 12, 24, 10, 0)).assignee == ZHAO  # a Thursday


def test_a_moment_no_entry_covers_leaves_the_ticket_to_the_supervisor() -> None:
    day_only = Roster(TEAM.staff, (ROTA[1],))
    a = assign("P2", None, day_only, {}, datetime(2026, 11, 28, 14, 0))
    assert a.assignee is None and a.tell == (ZHOU,) and "unassigned" in a.reason
