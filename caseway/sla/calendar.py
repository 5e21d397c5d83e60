"""Business-time arithmetic for SLA timers: pure Python, no database.

A `WorkingCalendar` holds business hours as weekly intervals of local wall-clock time in one
timezone, plus holidays (local dates with no hours), or is open 24x7. Business time is real
elapsed time (UTC seconds) spent inside the calendar's windows, so a 00:00-24:00 day lasts 23 or
25 real hours on a DST change.

Window bounds. A local wall-clock time L of a date maps to the first instant at which the local
clock reads L or later:
- a time that does not exist (skipped by a spring-forward gap) maps to the end of the gap, the
  transition instant (not to L + gap, which is what fold=0 through UTC would give): the office
  opens when the clocks jump;
- a time that happens twice (fall-back) maps to its first occurrence (fold=0);
- 24:00 (a `closes_at` of 00:00) is 00:00 of the next local date, under the same rule.
This mapping never decreases, so windows never overlap, invert or have negative length; windows
that become empty are dropped.

How it is fast. Windows are computed per chunk of 28 UTC days (`_CHUNK_DAYS`), once per calendar
instance, as a flat list of bounds in POSIX seconds [open, close, open, close, ...] with the
business seconds elapsed since the chunk's start at each bound. The business position of an
instant is then one bisection, and a due date is a second bisection on the running totals; a
chunk is found by integer division of the timestamp, with no timezone conversion per call.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["NoBusinessHours", "WorkingCalendar"]

MINUTES_PER_DAY = 1440
_DAY = 86_400
_CHUNK_DAYS = 28
_CHUNK_SECONDS = _CHUNK_DAYS * _DAY
# add() and next_open() look this far ahead of their start before giving up.
_HORIZON_DAYS = 3_653
_HORIZON_CHUNKS = _HORIZON_DAYS // _CHUNK_DAYS + 1
# Chunks cached per calendar (28 days each: over 300 years) before the cache starts afresh.
_MAX_CACHED_CHUNKS = 4_096
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_ORDINAL = date.max.toordinal()
_ONE_SECOND = timedelta(seconds=1)
_INF = math.inf

# (bounds, running business seconds at each bound, business seconds in the chunk)
_Chunk = tuple[list[int], list[int], int]
_Weekly = tuple[tuple[tuple[int, int], ...], ...]


class NoBusinessHours(ValueError):
    """The calendar has no business time where it was needed (no hours at all, or none within
    about ten years of the start)."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Business hours in a timezone: weekly open intervals in local wall-clock time, holidays,
    or 24x7.

    `weekly` has 7 entries, Monday first; each is a sorted tuple of non-overlapping
    (open_minute, close_minute) pairs with 0 <= open < close <= 1440. `holidays` are local dates
    with no hours. With `always_open`, business time is elapsed time and holidays are ignored.
    Every method accepts aware datetimes in any timezone; a datetime it computes is in UTC (it
    returns its argument itself for add(start, 0) and next_open() while open).
    """

    tz: ZoneInfo
    weekly: _Weekly
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    _holiday_ordinals: frozenset[int] = field(init=False, repr=False, compare=False)
    _has_hours: bool = field(init=False, repr=False, compare=False)
    _chunks: dict[int, _Chunk] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs 7 entries, Monday first")
        weekly = tuple(tuple((int(o), int(c)) for o, c in day) for day in self.weekly)
        for day in weekly:
            previous_close = 0
            for opens, closes in day:
                if not 0 <= opens < closes <= MINUTES_PER_DAY or opens < previous_close:
                    raise ValueError(f"bad or overlapping business hours: {day!r}")
                previous_close = closes
        holidays = frozenset(self.holidays)
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_holiday_ordinals", frozenset(d.toordinal() for d in holidays))
        object.__setattr__(self, "_has_hours", self.always_open or any(weekly))
        object.__setattr__(self, "_chunks", {})

    @classmethod
    def twenty_four_seven(cls) -> WorkingCalendar:
        """Return a calendar that is always open."""
        return cls(tz=ZoneInfo("UTC"), weekly=(((0, MINUTES_PER_DAY),),) * 7, always_open=True)

    @classmethod
    def build(
        cls,
        *,
        timezone: str,
        hours: Iterable[tuple[int, time, time]],
        holidays: Iterable[date] = (),
        always_open: bool = False,
    ) -> WorkingCalendar:
        """Build a calendar from (weekday, opens_at, closes_at) rows as an admin enters them.

        A `closes_at` of 00:00 means midnight at the end of that day. Overlapping and adjacent
        intervals are merged; seconds in the times are ignored (hours are whole minutes).
        Raise ValueError for an unknown timezone, a weekday outside 0-6, or an interval that
        does not close after it opens.
        """
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as exc:
            raise ValueError(f"unknown timezone: {timezone!r}") from exc
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for weekday, opens_at, closes_at in hours:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            opens = opens_at.hour * 60 + opens_at.minute
            closes = closes_at.hour * 60 + closes_at.minute or MINUTES_PER_DAY
            if closes <= opens:
                raise ValueError(
                    f"business hours must close after they open: {opens_at}-{closes_at}"
                )
            days[weekday].append((opens, closes))
        return cls(
            tz=tz,
            weekly=tuple(_merged(day) for day in days),
            holidays=frozenset(holidays),
            always_open=always_open,
        )

    def add(self, start: datetime, seconds: float) -> datetime:
        """Return the earliest instant at which `seconds` business seconds have elapsed since
        `start` (in UTC; `start` itself, unchanged, when seconds is 0).

        Raise ValueError for a naive start or a negative or infinite duration, and
        NoBusinessHours when the calendar has no hours or the result is more than about ten
        years ahead.
        """
        if start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        if not 0.0 <= seconds < _INF:
            raise ValueError(f"seconds must be finite and not negative, not {seconds!r}")
        if seconds == 0:
            return start
        if self.always_open:
            # In UTC: adding to a local datetime would add wall-clock time across DST.
            return start.astimezone(UTC) + timedelta(seconds=seconds)
        if not self._has_hours:
            raise NoBusinessHours("the calendar has no business hours")
        t = start.timestamp()
        k = int(t // _CHUNK_SECONDS)
        bounds, cum, total = self._chunks.get(k) or self._build_chunk(k)
        i = bisect_right(bounds, t)
        if i & 1:
            target = cum[i - 1] + (t - bounds[i - 1]) + seconds
        else:
            target = (cum[i - 1] if i else 0) + seconds
        if target <= total:
            j = bisect_left(cum, target)
            result = bounds[j - 1] + (target - cum[j - 1])
            return datetime.fromtimestamp(result if result > t else t, UTC)
        remaining = target - total
        last = k + _HORIZON_CHUNKS
        while k < last:
            k += 1
            bounds, cum, total = self._chunks.get(k) or self._build_chunk(k)
            if remaining <= total:
                # cum[0] == 0 and each close's total equals the next open's, so j is a close.
                j = bisect_left(cum, remaining)
                return datetime.fromtimestamp(bounds[j - 1] + (remaining - cum[j - 1]), UTC)
            remaining -= total
        raise NoBusinessHours(f"not enough business hours within ten years of {start.isoformat()}")

    def between(self, start: datetime, end: datetime) -> float:
        """Return the business seconds in [start, end); 0 if end <= start."""
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("start and end must be timezone-aware")
        if self.always_open:
            return max((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds(), 0.0)
        a, b = start.timestamp(), end.timestamp()
        if b <= a or not self._has_hours:
            return 0.0
        ka, kb = int(a // _CHUNK_SECONDS), int(b // _CHUNK_SECONDS)
        chunk = self._chunks.get(ka) or self._build_chunk(ka)
        if ka == kb:
            return float(_position(chunk, b) - _position(chunk, a))
        seconds = chunk[2] - _position(chunk, a)
        for k in range(ka + 1, kb):
            seconds += (self._chunks.get(k) or self._build_chunk(k))[2]
        return float(seconds + _position(self._chunks.get(kb) or self._build_chunk(kb), b))

    def is_open(self, at: datetime) -> bool:
        """Tell whether `at` lies inside business hours."""
        if at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        if self.always_open:
            return True
        if not self._has_hours:
            return False
        t = at.timestamp()
        k = int(t // _CHUNK_SECONDS)
        bounds = (self._chunks.get(k) or self._build_chunk(k))[0]
        return bool(bisect_right(bounds, t) & 1)

    def next_open(self, at: datetime) -> datetime:
        """Return `at` itself if business hours are open then, else the instant they next open
        (in UTC). Raise NoBusinessHours if that is more than about ten years ahead."""
        if at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        if self.always_open:
            return at
        if not self._has_hours:
            raise NoBusinessHours("the calendar has no business hours")
        t = at.timestamp()
        k = int(t // _CHUNK_SECONDS)
        bounds = (self._chunks.get(k) or self._build_chunk(k))[0]
        i = bisect_right(bounds, t)
        if i & 1:
            return at
        if i < len(bounds):
            return datetime.fromtimestamp(bounds[i], UTC)
        for n in range(k + 1, k + 1 + _HORIZON_CHUNKS):
            bounds = (self._chunks.get(n) or self._build_chunk(n))[0]
            if bounds:
                return datetime.fromtimestamp(bounds[0], UTC)
        raise NoBusinessHours(f"no business hours within ten years of {at.isoformat()}")

    def _build_chunk(self, k: int) -> _Chunk:
        """Compute, cache and return the windows of UTC days [28k, 28k + 28) since 1970.

        Local dates from two days before to one day after are converted (UTC offsets are under
        a day) and their windows clipped to the chunk; windows that touch are joined.
        """
        lo, hi = k * _CHUNK_SECONDS, (k + 1) * _CHUNK_SECONDS
        bounds: list[int] = []
        cum: list[int] = []
        total = 0
        first = _EPOCH_ORDINAL + k * _CHUNK_DAYS - 2
        for ordinal in range(first, first + _CHUNK_DAYS + 4):
            for opens, closes in self._day_windows(ordinal):
                opens = max(opens, lo, bounds[-1] if bounds else lo)
                closes = min(closes, hi)
                if closes <= opens:
                    continue
                if bounds and bounds[-1] == opens:
                    bounds[-1] = closes
                    total += closes - opens
                    cum[-1] = total
                else:
                    bounds += (opens, closes)
                    cum += (total, total + closes - opens)
                    total += closes - opens
        if len(self._chunks) >= _MAX_CACHED_CHUNKS:
            self._chunks.clear()
        chunk = (bounds, cum, total)
        self._chunks[k] = chunk
        return chunk

    def _day_windows(self, ordinal: int) -> list[tuple[int, int]]:
        """The windows of one local date as POSIX seconds."""
        if ordinal in self._holiday_ordinals or not 1 < ordinal < _MAX_ORDINAL - 1:
            return []
        windows = []
        for opens, closes in self.weekly[(ordinal - 1) % 7]:
            start, end = self._instant(ordinal, opens), self._instant(ordinal, closes)
            if end > start:
                windows.append((start, end))
        return windows

    def _instant(self, ordinal: int, minute: int) -> int:
        """The first instant (POSIX seconds) at which the local clock reads the date's minute
        or later: the gap's end for a skipped time, the first occurrence of a repeated one."""
        extra_days, minute = divmod(minute, MINUTES_PER_DAY)
        ordinal += extra_days
        day = date.fromordinal(ordinal)
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.tz)
        wall = (ordinal - _EPOCH_ORDINAL) * _DAY + minute * 60
        before = _offset(local)
        after = _offset(local.replace(fold=1))
        if after <= before:  # an ordinary time, or a repeated one (fold=0: first occurrence)
            return wall - before
        # Skipped: the clock reads less than `wall` at lo and more at hi; find the jump.
        lo, hi = wall - after, wall - before
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if mid + _offset(datetime.fromtimestamp(mid, self.tz)) >= wall:
                hi = mid
            else:
                lo = mid
        return hi


def _merged(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sort intervals and join the ones that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def _offset(local: datetime) -> int:
    """The UTC offset of an aware datetime in whole seconds."""
    offset = local.utcoffset()
    assert offset is not None
    return offset // _ONE_SECOND


def _position(chunk: _Chunk, t: float) -> float:
    """Business seconds from the chunk's start to instant t (inside the chunk)."""
    bounds, cum, _ = chunk
    i = bisect_right(bounds, t)
    if i & 1:
        return cum[i - 1] + (t - bounds[i - 1])
    return cum[i - 1] if i else 0
