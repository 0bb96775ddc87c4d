"""Due dates in working days: Chinese public holidays and make-up working days by default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from .enums import Urgency
from .timeutil import local_zone

WorkdayRule = Callable[[date], bool]


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def chinese_workday(day: date) -> bool:
    """Official Chinese working days (调休 included); weekdays outside the package's years."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return weekdays_only(day)


CALENDARS: dict[str, WorkdayRule] = {"cn": chinese_workday, "weekdays": weekdays_only}


def working_days_for(base_days: int, urgency: str) -> int:
    if urgency == Urgency.CRITICAL:
        return 1
    if urgency == Urgency.URGENT:
        return max(1, base_days // 2)
    return max(1, base_days)


def add_working_days(start: datetime, days: int, is_workday: WorkdayRule = chinese_workday) -> datetime:
    """End of the `days`-th working day after the day of `start` (local time)."""
    day = start.astimezone(local_zone()).date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return datetime.combine(day, time(18, 0), tzinfo=local_zone())
