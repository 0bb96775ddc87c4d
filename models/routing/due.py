"""The due-date preview at capture: working days from the category and urgency, on a calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.domain.deadlines import CALENDARS, add_working_days, working_days_for

DEFAULT_DUE_DAYS = 5  # a category-less case, as intake validation counts it


@dataclass(frozen=True)
class DuePreview:
    due_at: datetime
    working_days: int
    calendar: str


def due_preview(base_days: int | None, urgency: str, created_at: datetime,
                calendar: str = "cn") -> DuePreview:
    """When a case taken at `created_at` is due: `base_days` is the category's `due_days`.

    `calendar` names a rule in `models.domain.deadlines.CALENDARS` ("cn": Chinese holidays and make-up
    working days; "weekdays"); a city adds its own there.
    """
    try:
        rule = CALENDARS[calendar]
    except KeyError:
        raise ValueError(f"unknown calendar {calendar!r}: one of {', '.join(CALENDARS)}") from None
    days = working_days_for(base_days if base_days else DEFAULT_DUE_DAYS, urgency)
    return DuePreview(add_working_days(created_at, days, rule), days, calendar)
