"""Users, roles and API tokens.

A token is `<token id>.<secret>`; the database keeps only sha256(secret), looked up by the id
and compared with `hmac.compare_digest`, so neither a stolen database nor response timing gives a
token away. A user may hold several tokens (rotation); revoked or expired ones are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from models.domain.timeutil import now

from .db import Database
from .tables import api_token, users

ROLES = ("agent", "lead", "admin")
ANY = ROLES


@dataclass(frozen=True)
class User:
    id: str
    role: str


class AuthError(Exception):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _issue(conn, user_id: str, expires_at: datetime | None) -> str:
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    conn.execute(insert(api_token).values(id=token_id, user_id=user_id, hash=_hash(secret),
                                          created_at=now(), expires_at=expires_at, revoked=False))
    return f"{token_id}.{secret}"


def add_user(db: Database, user_id: str, role: str, *, expires_days: float | None = None) -> str:
    """Create a user and return its first API token (shown once, stored hashed)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not user_id or len(user_id) > 64:
        raise ValueError("user id must be 1-64 characters")
    expires = now() + timedelta(days=expires_days) if expires_days is not None else None
    with db.write_engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first():
            raise ValueError(f"user {user_id!r} already exists")
        conn.execute(insert(users).values(id=user_id, role=role, created_at=now(), disabled=False))
        return _issue(conn, user_id, expires)


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
    token_id, _, secret = token.partition(".")
    if not token_id or not secret:
        raise AuthError("malformed token")
    with db.engine.connect() as conn:
        row = conn.execute(
            select(api_token.c.hash, api_token.c.expires_at, api_token.c.revoked, users.c.id,
                   users.c.role, users.c.disabled)
            .join(users, users.c.id == api_token.c.user_id)
            .where(api_token.c.id == token_id)).first()
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
    return User(row.id, row.role)
