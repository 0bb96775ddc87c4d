"""Users, roles and API tokens, and the sign-in throttle.

A token is `<token id>.<secret>`; the database keeps only sha256(secret), looked up by the id
and compared with `hmac.compare_digest`, so neither a stolen database nor response timing gives a
token away. A user may hold several tokens (rotation); revoked or expired ones, and a disabled
user's, are refused.

Failed sign-ins are logged (the client's address and why, never the token) and counted per
address in the database (`auth_failure`), so every server process on one database counts them
together: after `max_failures` in a window, that address gets 429 with Retry-After until the
window ends, even with a right token (a guesser must not learn which guess was right).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.domain.timeutil import now

from .db import Database
from .tables import api_token, auth_failure, users

log = logging.getLogger("hotline.server.auth")

_TOKEN_ID = re.compile(r"[0-9a-f]{16}")  # what `_issue` makes: anything else is never looked up

ROLES = ("agent", "lead", "admin", "department")
STAFF = ("agent", "lead", "admin")  # the hotline's own people: terminals, the case API
ANY = ROLES


@dataclass(frozen=True)
class User:
    id: str
    role: str
    department: str = ""  # a department user's department (a catalogue code), else ""


class AuthError(Exception):
    pass


class Throttled(AuthError):
    """Too many failed sign-ins from this address: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins from this address; try again in "
                         f"{retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    max_failures: int = 20
    window_s: int = 300


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _issue(conn, user_id: str, expires_at: datetime | None) -> str:
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    conn.execute(insert(api_token).values(id=token_id, user_id=user_id, hash=_hash(secret),
                                          created_at=now(), expires_at=expires_at, revoked=False))
    return f"{token_id}.{secret}"


def add_user(db: Database, user_id: str, role: str, *, expires_days: float | None = None,
             department: str = "") -> str:
    """Create a user and return its first API token (shown once, stored hashed). A user of
    role `department` is bound to one department of the catalogue (`department`, a code, a
    name or an alias); no other role has one."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not user_id or len(user_id) > 64:
        raise ValueError("user id must be 1-64 characters")
    if role == "department" and not department.strip():
        raise ValueError("a department user needs --department CODE (a catalogue department)")
    if role != "department" and department:
        raise ValueError("only a user of role department has a department")
    expires = now() + timedelta(days=expires_days) if expires_days is not None else None
    with db.write_engine.begin() as conn:
        code = _department_code(conn, department) if department else ""
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first():
            raise ValueError(f"user {user_id!r} already exists")
        conn.execute(insert(users).values(id=user_id, role=role, created_at=now(), disabled=False,
                                          department=code))
        return _issue(conn, user_id, expires)


def _department_code(conn, given: str) -> str:
    """The catalogue code of a department given by code, name or alias; ValueError if unknown."""
    from models.store.tables import Department

    wanted = " ".join(given.strip().lower().split())
    rows = conn.execute(select(Department.code, Department.name_zh, Department.name_en,
                               Department.aliases)).all()
    for code, zh, en, aliases in rows:
        names = [code, zh, en, *(aliases or [])]
        if any(n and " ".join(n.strip().lower().split()) == wanted for n in names):
            return code
    known = ", ".join(sorted(r[0] for r in rows)[:12])
    raise ValueError(f"department: unknown department {given.strip()[:60]!r} "
                     f"(the catalogue has {known or 'none yet: start the server once'}...)")


def new_token(db: Database, user_id: str, *, revoke_old: bool = True,
              expires_days: float | None = None) -> str:
    """Rotate: issue a new token for the user (and by default revoke the old ones)."""
    expires = now() + timedelta(days=expires_days) if expires_days is not None else None
    with db.write_engine.begin() as conn:
        if not conn.execute(select(users.c.id).where(users.c.id == user_id)).first():
            raise ValueError(f"no user {user_id!r}")
        if revoke_old:
            conn.execute(update(api_token).where(api_token.c.user_id == user_id).values(revoked=True))
        return _issue(conn, user_id, expires)


def authenticate(db: Database, token: str) -> User:
    with db.engine.connect() as conn:
        return _check_token(conn, token)


def sign_in(db: Database, token: str, address: str, throttle: Throttle = Throttle()) -> User:
    """The user behind `token`, from a client at `address`: raises Throttled when the address
    has failed too often lately, else AuthError (logged and counted) for a bad token. The
    address's failures and the token are read in one statement: this runs on every request."""
    at = now()
    address = address[:64]
    token_id, secret = _parts(token)
    with db.lookup_engine.connect() as conn:
        row = conn.execute(_SIGN_IN, {"address": address, "token_id": token_id}).one()
    if row.failures is not None and row.failures >= throttle.max_failures:
        ends = row.window_start + timedelta(seconds=throttle.window_s)
        if ends > at:
            log.warning("sign-in refused from %s: throttled (%d failures since %s)",
                        address, row.failures, row.window_start.isoformat(timespec="seconds"))
            raise Throttled(max(1, math.ceil((ends - at).total_seconds())))
    try:
        return _verdict(row if row.id is not None else None, token_id, secret)
    except AuthError as exc:
        reason = str(exc)
    failures = _count_failure(db, address, at, throttle.window_s)
    log.warning("sign-in failed from %s: %s (%d in this window)", address, reason, failures)
    raise AuthError(reason)


def _count_failure(db: Database, address: str, at: datetime, window_s: int) -> int:
    """One more failure for the address in its window (a new window when the last one ended);
    returns the window's count. One statement, so concurrent servers count every failure."""
    cutoff = at - timedelta(seconds=window_s)
    t = auth_failure
    ins = (pg_insert if db.is_pg else sqlite_insert)(t).values(address=address, window_start=at,
                                                              failures=1)
    stale = t.c.window_start <= cutoff
    upsert = ins.on_conflict_do_update(index_elements=["address"], set_={
        "failures": case((stale, 1), else_=t.c.failures + 1),
        "window_start": case((stale, ins.excluded.window_start), else_=t.c.window_start),
    }).returning(t.c.failures)
    with db.write_engine.begin() as conn:
        failures = conn.execute(upsert).scalar_one()
        # Forget addresses quiet for a day (the table stays as small as the attack).
        conn.execute(delete(t).where(t.c.window_start < at - timedelta(days=1)))
    return failures


# What a token's row says of it and of its user: `sign_in` and `authenticate` read the same.
_TOKEN_USER = api_token.join(users, users.c.id == api_token.c.user_id)
_WHO = (api_token.c.hash, api_token.c.expires_at, api_token.c.revoked, users.c.id, users.c.role,
        users.c.disabled, users.c.department)
# `sign_in`'s one statement, built once (it runs on every request: building it per call was a
# third of its Python time): the address's failures, then the token's row, each or nothing.
_PROBE = select(bindparam("address", type_=String).label("address")).subquery("probe")
_SIGN_IN = (select(auth_failure.c.failures, auth_failure.c.window_start, *_WHO)
            .select_from(_PROBE.outerjoin(auth_failure, auth_failure.c.address == _PROBE.c.address)
                         .outerjoin(_TOKEN_USER,
                                    api_token.c.id == bindparam("token_id", type_=String))))


def _parts(token: str) -> tuple[str, str]:
    """(token id, secret); a malformed token gives an id that is never looked up ("")."""
    token_id, _, secret = token.partition(".")
    if not _TOKEN_ID.fullmatch(token_id) or not secret or len(secret) > 128:
        return "", ""
    return token_id, secret


def _check_token(conn, token: str) -> User:
    token_id, secret = _parts(token)
    row = conn.execute(select(*_WHO).select_from(_TOKEN_USER)
                       .where(api_token.c.id == token_id)).first() if token_id else None
    return _verdict(row, token_id, secret)


def _verdict(row, token_id: str, secret: str) -> User:
    """The user, if `row` (the token's, None when unknown) admits `secret`; else AuthError."""
    if not token_id:
        raise AuthError("malformed token")
    # Compare even when the id is unknown, so timing does not tell whether an id exists.
    expected = row.hash if row else _hash("")
    if not hmac.compare_digest(expected, _hash(secret)) or row is None:
        raise AuthError("invalid token")
    if row.revoked:
        raise AuthError("token revoked")
    if row.expires_at is not None and row.expires_at <= now():
        raise AuthError("token expired")
    if row.disabled:
        raise AuthError("user disabled")
    return User(row.id, row.role, row.department or "")


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every user with their state and tokens: how many are live (neither revoked nor expired)
    and when the last of them expires (None: one never does)."""
    at = now()
    live = (api_token.c.revoked.is_(False)
            & (api_token.c.expires_at.is_(None) | (api_token.c.expires_at > at)))
    with db.engine.connect() as conn:
        tokens: dict[str, list] = {}
        for r in conn.execute(select(api_token.c.user_id, api_token.c.expires_at).where(live)):
            tokens.setdefault(r.user_id, []).append(r.expires_at)
        rows = conn.execute(select(users).order_by(users.c.id)).all()
    out = []
    for r in rows:
        expiries = tokens.get(r.id, [])
        out.append({"id": r.id, "role": r.role, "department": r.department or "",
                    "disabled": r.disabled, "created_at": r.created_at,
                    "tokens": len(expiries),
                    "expires_at": None if not expiries or None in expiries else max(expiries)})
    return out


def set_disabled(db: Database, user_id: str, disabled: bool) -> None:
    """Disable a user (every token refused at once, kept for when they are enabled again)."""
    with db.write_engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.id == user_id).values(disabled=disabled))
        if done.rowcount == 0:
            raise ValueError(f"no user {user_id!r}")


def remove_user(db: Database, user_id: str) -> int:
    """Remove a user and their tokens; returns how many tokens went. What they did stays
    recorded (cases, mutations, audit) under their id."""
    with db.write_engine.begin() as conn:
        if conn.execute(delete(users).where(users.c.id == user_id)).rowcount == 0:
            raise ValueError(f"no user {user_id!r}")
        return conn.execute(delete(api_token).where(api_token.c.user_id == user_id)).rowcount


def failures_from(db: Database, address: str) -> int:
    """Failed sign-ins counted for an address in its current window (0 when none)."""
    with db.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(auth_failure.c.failures), 0))
                            .where(auth_failure.c.address == address[:64])).scalar_one()
