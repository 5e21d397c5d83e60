"""Business-time arithmetic: worked examples, DST days, and properties over random calendars
checked against a brute-force minute-by-minute oracle. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from caseway.sla.calendar import NoBusinessHours, WorkingCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
HOUR = 3600.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CALENDAR_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
]
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
START_ZONES = [*CALENDAR_ZONES, "America/Los_Angeles", "Asia/Tokyo", "America/St_Johns"]
# Minutes worth drawing often: midnight, the hours DST moves in these zones, office hours.
NOTABLE_MINUTES = [0, 60, 120, 135, 150, 165, 180, 210, 540, 720, 1020, 1380, 1439, 1440]
FIRST_YEAR, LAST_YEAR = 1992, 2040


def office(*, holidays: tuple[date, ...] = ()) -> WorkingCalendar:
    """Mon-Fri 09:00-17:00 in Berlin."""
    return WorkingCalendar.build(
        timezone="Europe/Berlin",
        hours=[(day, time(9), time(17)) for day in range(5)],
        holidays=holidays,
    )


def all_day(zone: str) -> WorkingCalendar:
    """00:00-24:00 every day, not 24x7: DST days are 23 or 25 real hours long."""
    return WorkingCalendar.build(timezone=zone, hours=[(day, time(0), time(0)) for day in range(7)])


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


# Worked examples ----------------------------------------------------------------------------


def test_an_hour_from_friday_afternoon_lands_on_monday_morning():
    due = office().add(local(BERLIN, 2024, 5, 3, 16, 30), HOUR)

    assert due == local(BERLIN, 2024, 5, 6, 9, 30)
    assert due.tzinfo is UTC


def test_a_holiday_is_skipped():
    calendar = office(holidays=(date(2024, 5, 6),))

    assert calendar.add(local(BERLIN, 2024, 5, 3, 16, 30), HOUR) == local(BERLIN, 2024, 5, 7, 9, 30)
    assert not calendar.is_open(local(BERLIN, 2024, 5, 6, 12))


def test_a_start_outside_hours_counts_from_the_next_opening():
    saturday = local(BERLIN, 2024, 5, 4, 12)

    assert office().add(saturday, HOUR) == local(BERLIN, 2024, 5, 6, 10)
    assert office().next_open(saturday) == local(BERLIN, 2024, 5, 6, 9)
    assert office().between(saturday, local(BERLIN, 2024, 5, 6, 9, 15)) == 15 * 60


def test_three_business_days_span_a_weekend():
    start = local(BERLIN, 2024, 5, 8, 14)  # Wednesday

    assert office().add(start, 3 * 8 * HOUR) == local(BERLIN, 2024, 5, 13, 14)


def test_a_start_in_another_timezone_is_the_same_instant():
    start = local(NEW_YORK, 2024, 5, 3, 10, 30)  # 16:30 in Berlin

    assert office().add(start, HOUR) == local(BERLIN, 2024, 5, 6, 9, 30)


def test_zero_seconds_returns_the_start_unchanged():
    start = local(NEW_YORK, 2024, 5, 4, 3)

    assert office().add(start, 0) is start


def test_next_open_inside_hours_is_the_instant_itself():
    at = local(BERLIN, 2024, 5, 6, 11)

    assert office().next_open(at) is at
    assert office().is_open(at)
    assert not office().is_open(local(BERLIN, 2024, 5, 6, 17))


def test_twenty_four_seven_counts_elapsed_time_and_ignores_holidays():
    calendar = WorkingCalendar.twenty_four_seven()
    start = local(BERLIN, 2024, 3, 30, 22)  # the clocks go forward at 02:00

    assert calendar.add(start, 5 * HOUR) == local(BERLIN, 2024, 3, 31, 4)
    assert calendar.between(start, local(BERLIN, 2024, 4, 1, 22)) == 47 * HOUR
    assert calendar.is_open(start)
    assert calendar.next_open(start) is start
    always = WorkingCalendar.build(
        timezone="Europe/Berlin", hours=[], holidays=[date(2024, 3, 31)], always_open=True
    )
    assert always.between(start, local(BERLIN, 2024, 3, 31, 22)) == 23 * HOUR


def test_midnight_close_runs_to_the_end_of_the_day():
    calendar = WorkingCalendar.build(
        timezone="Europe/Berlin", hours=[(0, time(22), time(0)), (1, time(0), time(2))]
    )
    monday = local(BERLIN, 2024, 5, 6, 23)

    assert calendar.is_open(local(BERLIN, 2024, 5, 6, 23, 59))
    assert calendar.add(monday, 2 * HOUR) == local(BERLIN, 2024, 5, 7, 1)
    assert calendar.between(local(BERLIN, 2024, 5, 6), local(BERLIN, 2024, 5, 8)) == 4 * HOUR


def test_a_lunch_break_is_not_business_time():
    calendar = WorkingCalendar.build(
        timezone="Europe/Berlin", hours=[(0, time(9), time(12)), (0, time(13), time(17))]
    )

    assert calendar.add(local(BERLIN, 2024, 5, 6, 11, 30), HOUR) == local(
        BERLIN, 2024, 5, 6, 13, 30
    )
    assert not calendar.is_open(local(BERLIN, 2024, 5, 6, 12, 30))


def test_build_merges_overlapping_and_adjacent_intervals():
    calendar = WorkingCalendar.build(
        timezone="UTC",
        hours=[(2, time(13), time(17)), (2, time(9), time(12)), (2, time(12), time(14))],
    )

    assert calendar.weekly[2] == ((9 * 60, 17 * 60),)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2024, 3, 31), 23),
        ("Europe/Berlin", date(2024, 10, 27), 25),
        ("America/New_York", date(2024, 3, 10), 23),
        ("America/New_York", date(2024, 11, 3), 25),
        ("Australia/Lord_Howe", date(2024, 10, 6), 23.5),
        ("Australia/Lord_Howe", date(2024, 4, 7), 24.5),
    ],
)
def test_a_whole_local_day_lasts_its_real_length_on_dst_days(zone, day, hours):
    tz = ZoneInfo(zone)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    calendar = all_day(zone)

    assert calendar.between(midnight, next_midnight) == hours * HOUR
    assert calendar.add(midnight, hours * HOUR) == next_midnight


def test_between_counts_real_time_in_a_window_across_dst():
    calendar = WorkingCalendar.build(timezone="Europe/Berlin", hours=[(6, time(1), time(4))])

    spring = calendar.between(local(BERLIN, 2024, 3, 30), local(BERLIN, 2024, 4, 1))
    autumn = calendar.between(local(BERLIN, 2024, 10, 26), local(BERLIN, 2024, 10, 28))

    assert (spring, autumn) == (2 * HOUR, 4 * HOUR)


def test_a_bound_skipped_by_spring_forward_opens_when_the_clocks_jump():
    calendar = WorkingCalendar.build(timezone="Europe/Berlin", hours=[(6, time(2, 30), time(4))])

    assert calendar.next_open(local(BERLIN, 2024, 3, 30)) == datetime(2024, 3, 31, 1, tzinfo=UTC)
    assert calendar.between(local(BERLIN, 2024, 3, 30), local(BERLIN, 2024, 4, 1)) == HOUR


def test_a_repeated_bound_at_fall_back_is_its_first_occurrence():
    calendar = WorkingCalendar.build(timezone="Europe/Berlin", hours=[(6, time(0), time(2, 30))])

    # 00:00 CEST is 22:00 UTC; the first 02:30 (CEST) is 00:30 UTC.
    assert calendar.between(local(BERLIN, 2024, 10, 26), local(BERLIN, 2024, 10, 28)) == 2.5 * HOUR
    assert not calendar.is_open(datetime(2024, 10, 27, 1, 15, tzinfo=UTC))  # the second 02:15


def test_a_calendar_without_hours_raises_no_business_hours():
    calendar = WorkingCalendar.build(timezone="Europe/Berlin", hours=[])
    start = local(BERLIN, 2024, 5, 6, 9)

    with pytest.raises(NoBusinessHours):
        calendar.add(start, 1)
    with pytest.raises(NoBusinessHours):
        calendar.next_open(start)
    assert calendar.add(start, 0) is start
    assert calendar.between(start, start + timedelta(days=30)) == 0
    assert not calendar.is_open(start)


def test_holidays_on_every_open_day_for_years_raise_instead_of_looping():
    mondays = [date(2024, 1, 1) + timedelta(weeks=n) for n in range(52 * 11)]
    calendar = WorkingCalendar.build(
        timezone="UTC", hours=[(0, time(9), time(17))], holidays=mondays
    )

    with pytest.raises(NoBusinessHours):
        calendar.add(datetime(2024, 1, 1, tzinfo=UTC), HOUR)
    with pytest.raises(NoBusinessHours):
        calendar.next_open(datetime(2024, 1, 1, tzinfo=UTC))


def test_naive_datetimes_and_negative_durations_are_refused():
    naive = datetime(2024, 5, 6, 10)
    aware = local(BERLIN, 2024, 5, 6, 10)

    for call in (
        lambda: office().add(naive, HOUR),
        lambda: office().add(naive, 0),
        lambda: office().between(naive, aware),
        lambda: office().between(aware, naive),
        lambda: office().is_open(naive),
        lambda: office().next_open(naive),
        lambda: office().add(aware, -1),
        lambda: office().add(aware, float("nan")),
    ):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize(
    "row",
    [(0, time(17), time(9)), (0, time(9), time(9)), (7, time(9), time(17))],
)
def test_build_refuses_bad_hours(row):
    with pytest.raises(ValueError):
        WorkingCalendar.build(timezone="Europe/Berlin", hours=[row])


@pytest.mark.parametrize("zone", ["Europe/Nowhere", "", "Europe", "../etc/passwd"])
def test_build_refuses_an_unknown_timezone(zone):
    with pytest.raises(ValueError):
        WorkingCalendar.build(timezone=zone, hours=[(0, time(9), time(17))])


# Strategies -----------------------------------------------------------------------------------


@lru_cache
def transitions(zone: str) -> tuple[int, ...]:
    """Noon UTC of each day whose UTC offset differs from the day before (1992-2040)."""
    tz = ZoneInfo(zone)
    found = []
    day = datetime(FIRST_YEAR, 1, 1, 12, tzinfo=UTC)
    previous = day.astimezone(tz).utcoffset()
    while day.year <= LAST_YEAR:
        offset = day.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(int(day.timestamp()))
        previous = offset
        day += timedelta(days=1)
    return tuple(found)


def instants(
    zone: str, *, whole_minutes: bool = False, near_dst: bool = False
) -> st.SearchStrategy[int]:
    """POSIX microseconds: anywhere in 1992-2040, or within two days of a DST change (with
    near_dst, only up to 36 hours before one, so the next two days cross it)."""
    anywhere = st.integers(
        int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp()) * 10**6,
        int(datetime(LAST_YEAR, 12, 31, tzinfo=UTC).timestamp()) * 10**6,
    )
    shifts = st.integers(-36 * 3600, 0) if near_dst else st.integers(-2 * 86400, 2 * 86400)
    near = st.builds(
        lambda noon, shift: (noon + shift) * 10**6, st.sampled_from(transitions(zone)), shifts
    )
    if near_dst:
        strategy = near
    elif transitions(zone):
        strategy = st.one_of(anywhere, near)
    else:
        strategy = anywhere
    if whole_minutes:
        return strategy.map(lambda us: us // 60_000_000 * 60_000_000)
    return strategy


def elapsed(start: datetime, end: datetime) -> float:
    """Real seconds between two instants (subtracting datetimes of one zone gives wall time)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def aware(us: int, zone: str) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(ZoneInfo(zone))


minutes_of_day = st.one_of(st.integers(0, 1440), st.sampled_from(NOTABLE_MINUTES))
# Around the hours the clocks change (02:00-04:00 here, 02:45-03:45 in Chatham).
dst_minutes_of_day = st.one_of(st.integers(90, 250), st.sampled_from(NOTABLE_MINUTES))


def to_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def scenarios(draw, *, whole_minutes=False, allow_always_open=True, near_dst=False):
    """A calendar built from random admin rows in a random zone, holidays near the start, and
    a start in a different zone. With near_dst: a zone with DST, a start up to 36 hours before
    a change, and interval bounds drawn mostly around the hours the clocks change."""
    zone = draw(st.sampled_from(DST_ZONES if near_dst else CALENDAR_ZONES))
    start_zone = draw(st.sampled_from([z for z in START_ZONES if z != zone]))
    start_us = draw(instants(zone, whole_minutes=whole_minutes, near_dst=near_dst))
    start = aware(start_us, start_zone)
    rows = []
    for weekday in range(7):
        points = sorted(
            draw(
                st.lists(
                    dst_minutes_of_day if near_dst else minutes_of_day, max_size=6, unique=True
                )
            )
        )
        rows += [
            (weekday, to_time(opens), to_time(closes))
            for opens, closes in zip(points[::2], points[1::2], strict=False)
        ]
    assume(rows)
    first_day = start.astimezone(ZoneInfo(zone)).date()
    offsets = draw(st.lists(st.integers(-1, 40), max_size=8))
    always_open = allow_always_open and draw(st.integers(0, 9)) == 0
    calendar = WorkingCalendar.build(
        timezone=zone,
        hours=rows,
        holidays=[first_day + timedelta(days=n) for n in offsets],
        always_open=always_open,
    )
    return calendar, start


def add_or_reject(calendar: WorkingCalendar, start: datetime, seconds: float) -> datetime:
    """add(), or, when it finds too few hours, check that the next ten years do lack them and
    reject the example."""
    try:
        return calendar.add(start, seconds)
    except NoBusinessHours:
        assert calendar.between(start, start + timedelta(days=3650)) < seconds
        assume(False)
        raise


durations = st.one_of(
    st.integers(1, 8 * 3600).map(float),
    st.floats(0.001, 20 * 86400.0),
)
spans = st.integers(0, 30 * 86400 * 10**6).map(lambda us: timedelta(microseconds=us))
QUICK = settings(max_examples=250, deadline=None, database=None)


# Properties -----------------------------------------------------------------------------------


@QUICK
@given(scenarios(), durations)
def test_between_undoes_add(scenario, seconds):
    calendar, start = scenario

    due = add_or_reject(calendar, start, seconds)

    assert due >= start
    assert calendar.between(start, due) == pytest.approx(seconds, abs=1e-3)


@QUICK
@given(scenarios(), durations, durations)
def test_add_is_monotonic(scenario, a, b):
    calendar, start = scenario
    small, large = sorted((a, b))

    assert start <= add_or_reject(calendar, start, small) <= add_or_reject(calendar, start, large)


@QUICK
@given(scenarios(), durations, durations)
def test_adding_in_two_steps_equals_adding_at_once(scenario, a, b):
    calendar, start = scenario

    at_once = add_or_reject(calendar, start, a + b)
    in_steps = add_or_reject(calendar, add_or_reject(calendar, start, a), b)

    assert abs((at_once - in_steps).total_seconds()) < 1e-3


@QUICK
@given(scenarios(), spans, spans)
def test_between_is_additive_and_at_most_elapsed_time(scenario, first, second):
    calendar, a = scenario
    b = (a.astimezone(UTC) + first).astimezone(ZoneInfo("America/New_York"))
    c = b.astimezone(UTC) + second

    whole = calendar.between(a, c)

    assert whole == pytest.approx(calendar.between(a, b) + calendar.between(b, c), abs=1e-6)
    assert whole <= elapsed(a, c) + 1e-6
    assert calendar.between(c, a) == 0
    if calendar.always_open:
        assert whole == elapsed(a, c)


@QUICK
@given(scenarios(), durations)
def test_business_time_runs_just_before_a_due_date(scenario, seconds):
    calendar, start = scenario

    due = add_or_reject(calendar, start, seconds)

    assert calendar.is_open(due - timedelta(microseconds=1))
    opens = calendar.next_open(start)
    assert opens >= start
    assert calendar.is_open(opens)
    assert calendar.between(start, opens) == 0


def open_minutes_by_brute_force(calendar: WorkingCalendar, start: datetime, minutes: int):
    """Whether each minute from `start` (whole minute, UTC) is business time, by stepping.

    An instant is open when the highest local time the clock has shown so far (the clock's
    high-water mark, so a repeated hour reads as the hour before the clocks went back) falls
    in an interval of a non-holiday date. That is the documented meaning of window bounds: a
    bound is the first instant the local clock reads that time or later.
    """
    holidays = {d.toordinal() for d in calendar.holidays}
    first = int(start.timestamp())
    assert first % 60 == 0
    high = (0, 0)
    result = []
    for n in range(-180, minutes):  # three hours of clock history cover any repeated hour
        wall = datetime.fromtimestamp(first + 60 * n, calendar.tz)
        high = max(high, (wall.toordinal(), wall.hour * 60 + wall.minute))
        if n >= 0:
            ordinal, minute = high
            weekday = date.fromordinal(ordinal).weekday()
            result.append(
                ordinal not in holidays
                and any(opens <= minute < closes for opens, closes in calendar.weekly[weekday])
            )
    return result


def check_against_brute_force(calendar, start, minutes):
    start = start.astimezone(UTC)  # so that start + timedelta(...) is real time
    expected = open_minutes_by_brute_force(calendar, start, minutes)

    assert calendar.between(start, start + timedelta(minutes=minutes)) == 60 * sum(expected)
    assert [
        calendar.is_open(start + timedelta(minutes=n, seconds=30)) for n in range(minutes)
    ] == expected
    open_indexes = [n for n, is_open in enumerate(expected) if is_open]
    assert [calendar.add(start, 60 * (n + 1)) for n in range(len(open_indexes))] == [
        start + timedelta(minutes=index + 1) for index in open_indexes
    ]


@settings(max_examples=80, deadline=None, database=None)
@given(scenarios(whole_minutes=True, allow_always_open=False), st.integers(1, 2 * 1440))
def test_fast_arithmetic_matches_minute_by_minute_stepping(scenario, minutes):
    calendar, start = scenario

    check_against_brute_force(calendar, start, minutes)


@settings(max_examples=150, deadline=None, database=None)
@given(scenarios(whole_minutes=True, allow_always_open=False, near_dst=True))
def test_fast_arithmetic_matches_minute_by_minute_stepping_across_dst(scenario):
    calendar, start = scenario

    check_against_brute_force(calendar, start, 2 * 1440)
