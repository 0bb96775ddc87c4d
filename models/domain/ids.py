"""Ids made where a record is first saved (terminal or server): UUIDv7, time-ordered."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
