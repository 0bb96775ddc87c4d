"""Callers: what the form shows as soon as a number is known (the name, earlier cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from models.domain.phone import PhoneError, normalise_phone
from models.store import Store
from models.store.tables import Caller, Case


@dataclass
class CallerHistory:
    phone: str  # E.164; "" when withheld or not (yet) a number
    name: str
    count: int
    cases: list[Case]


def caller_history(store: Store, phone_raw: str, limit: int = 20) -> CallerHistory:
    """What the form shows as soon as the number is known: the name and earlier cases."""
    try:
        phone = normalise_phone(phone_raw)
    except PhoneError:
        return CallerHistory("", "", 0, [])
    if phone.withheld:
        return CallerHistory("", "", 0, [])
    with store.session() as session:
        caller = session.get(Caller, phone.e164)
        count = session.exec(select(func.count()).select_from(Case)
                             .where(Case.caller_phone == phone.e164)).one()
        cases = list(session.exec(select(Case).where(Case.caller_phone == phone.e164)
                                  .order_by(col(Case.created_at).desc()).limit(limit)).all())
    return CallerHistory(phone.e164, caller.name if caller else "", count, cases)


def remember_caller(session: Session, phone: str, name: str, at: datetime) -> None:
    caller = session.get(Caller, phone)
    if caller is None:
        session.add(Caller(phone=phone, name=name, last_call_at=at))
        return
    if name:
        caller.name = name
    caller.last_call_at = at
    session.add(caller)
