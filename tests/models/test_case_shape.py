"""One shape for a case: the table, the wire model and the draft derive from
`models.domain.case_shape`, and the databases' schemas follow it."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect

from models.cases import file_case
from models.domain.case_shape import CaseDraft, CaseIntake, CaseRecord
from models.store.outbox import case_payload
from models.store.tables import Case
from sync.protocol import CaseWire


def test_table_wire_and_draft_have_the_shapes_fields():
    record = set(CaseRecord.model_fields)
    assert set(CaseWire.model_fields) == record
    assert {c.name for c in Case.__table__.columns} == record | {"sync_state"}
    assert set(CaseDraft.model_fields) == set(CaseIntake.model_fields) | {"notes"}
    assert set(CaseIntake.model_fields) < record


def test_the_stores_migrated_schema_has_every_column_of_the_shape(store):
    with sqlite3.connect(store.path) as conn:
        columns = {row[1] for row in conn.execute('PRAGMA table_info("case")')}
    assert columns == {c.name for c in Case.__table__.columns}


def test_the_servers_migrated_schema_has_every_column_of_the_shape(tmp_path):
    from sync.server.db import Database
    from sync.server.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    upgrade(db)
    columns = {c["name"] for c in inspect(create_engine(db.url)).get_columns("case")}
    db.dispose()
    assert columns == {c.name for c in Case.__table__.columns}


def test_a_saved_case_travels_as_the_wire_model_with_every_value(store):
    case = file_case(store, CaseDraft(
        caller_phone="13812345678", caller_name="王女士", description="龙蟠中路路灯不亮",
        address="龙蟠中路28号", location_kind="public_road", category="路灯",
        lead_department="城管", co_departments=["街道"]), "a01")
    wire = CaseWire.model_validate(case_payload(case))
    for name in CaseRecord.model_fields:
        assert getattr(wire, name) == getattr(case, name), name


def test_bulk_ids_are_uuid7_time_ordered_and_distinct():
    """An import's ids (made many at once): valid version-7 UUIDs of RFC 4122's variant, unique,
    in the order they were made, across a millisecond's 4,096-counter boundary."""
    import time
    import uuid

    from models.domain.ids import new_ids

    ids = new_ids(10_000)  # more than one millisecond's counter holds
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert [str(u) for u in parsed] == ids
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    ms = parsed[0].int >> 80
    assert abs(ms - time.time_ns() // 1_000_000) < 60_000  # the timestamp is now
    assert new_ids(0) == []
