"""The names of the changes a terminal sends to the server (its outbox's intents).

The version is part of the name, so a payload's shape never changes under a name: a new shape is
a new name, and a server keeps applying the old ones. Payload shapes are `sync.protocol`'s.
"""

from __future__ import annotations


class Mutations:
    CASE_CREATE = "case.create.v1"  # payload: {"case": {...}, "events": [{...}, ...]}
    CASE_NOTE = "case.note.v1"  # payload: {"event": {...}} (kind "note"); append-only
    CASE_EVENT = "case.event.v1"  # payload: {"event": {...}}; append-only, moves status
    CASE_FIELDS = "case.fields.v1"  # payload: {"fields": {name: {"old": x, "new": y}}}

    ALL = (CASE_CREATE, CASE_NOTE, CASE_EVENT, CASE_FIELDS)
