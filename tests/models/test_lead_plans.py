"""The shift lead's queues on a store of mostly closed history: each one reads its own few
cases through an index (never a walk over the whole case table), whatever statistics ANALYZE
left, and finds exactly the cases its rule names."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from models.cases import lead_review
from models.domain.timeutil import to_db_text
from models.store import open_store

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CASES = 20_000
STATES = ["closed"] * 70 + ["resolved"] * 10 + ["dispatched"] * 8 + ["in_progress"] * 6 + \
    ["returned"] * 3 + ["open"] * 3
OPEN = {"open", "dispatched", "in_progress", "returned"}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A store of CASES cases over two years, as a city's imported history looks (seed fixed)."""
    store = open_store(tmp_path_factory.mktemp("history"))
    rng = random.Random(3)
    with store.raw() as conn:
        columns = [r[1] for r in conn.execute('PRAGMA table_info("case")')]
        rows, truth = [], []
        for i in range(CASES):
            created = AT - timedelta(seconds=rng.random() * 730 * 86400)
            status = rng.choice(STATES)
            due = created + timedelta(days=rng.choice((3, 5, 10)))
            done = status in ("resolved", "closed")
            satisfaction = (rng.choice(["satisfied", "basically_satisfied", "unsatisfied"])
                            if status == "closed" or (status == "in_progress" and i % 50 == 0)
                            else "")
            values = {
                "id": str(uuid.UUID(int=rng.getrandbits(128))), "case_no": f"H-{i:06d}",
                "external_id": None, "source": "test", "created_at": to_db_text(created),
                "updated_at": to_db_text(created),
                "caller_phone": "" if i % 7 == 0 else f"+86139{i:08d}", "caller_withheld": 0,
                "caller_name": "", "title": "", "description": "路灯不亮", "address": f"梦都大街{i % 90}号",
                "district": "", "location_kind": "public_road", "category": f"c{i % 30}",
                "urgency": "normal", "disposition": "dispatch",
                "lead_department": "" if status == "open" else f"d{i % 25}",
                "co_departments": "[]", "status": status, "due_at": to_db_text(due),
                "resolved_at": to_db_text(created + timedelta(days=2)) if done else None,
                "resolution": "", "satisfaction": satisfaction, "lat": None, "lon": None,
                "agent": "a01", "version": 1, "repeat_count": int(i % 97 == 0),
                "sync_state": "synced", "return_reason": "", "extension_due_at": None,
                "supervised_count": int(status == "dispatched" and i % 20 == 0), "taken_at": None,
            }
            rows.append(tuple(values[c] for c in columns))
            truth.append(values)
        with conn:
            conn.executemany(f'INSERT INTO "case" ({",".join(columns)}) '
                             f'VALUES ({",".join("?" * len(columns))})', rows)
        conn.execute('ANALYZE "case"')  # exact statistics: the ones that misled the planner
    return store, truth


def _plans(store, run):
    """The query plans of the statements `run(session)` makes."""
    statements = []
    with store.session() as s:
        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))
        event.listen(s.get_bind(), "before_cursor_execute", capture)
        try:
            run(s)
            raw = s.connection().connection.dbapi_connection
            return [" / ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
                    for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", capture)


def _partial_indexes(store) -> set[str]:
    """The case table's partial indexes, as the schema states them."""
    with store.raw() as conn:
        return {name for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'case' "
            "AND sql IS NOT NULL") if " WHERE " in sql}


def _whole_table(plan: str, partial: set[str]) -> bool:
    """A walk over every case: a SCAN of the table or of a full index (a partial index holds
    only the cases its condition names)."""
    scans = [step for step in plan.split(" / ") if step.startswith("SCAN case")]
    return any(not any(f"INDEX {name}" in step for name in partial) for step in scans)


EXPECTED = {
    "awaiting_dispatch": lambda c: c["status"] == "open",
    "returned": lambda c: c["status"] == "returned",
    "overdue": lambda c: c["status"] in OPEN and c["due_at"] < to_db_text(AT),
    "callbacks_due": lambda c: (c["status"] == "resolved" and not c["satisfaction"]
                                and c["caller_phone"]),
    "not_satisfied": lambda c: c["status"] in OPEN and c["satisfaction"] == "unsatisfied",
    "supervised": lambda c: c["status"] in OPEN and c["supervised_count"] > 0,
    "repeat_calls": lambda c: c["status"] in OPEN and c["repeat_count"] > 0,
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_queue_reads_its_cases_through_an_index(history, key):
    store, truth = history
    expected = {c["id"] for c in truth if EXPECTED[key](c)}
    found: dict[str, object] = {}

    def run(s):
        found["count"] = lead_review.queue_counts(s, AT, (key,))[key]
        found["rows"] = lead_review.queue_cases(s, key, AT, limit=len(expected) + 10)
    plans = _plans(store, run)
    assert found["count"] == len(expected) > 0
    assert {c.id for c in found["rows"]} == expected
    partial = _partial_indexes(store)
    assert len(partial) == 7  # steps 10 and 11: supervised, extension, repeat; open, callbacks
    assert plans and not any(_whole_table(p, partial) for p in plans), plans


def test_the_scoreboard_reads_only_its_period(history):
    store, truth = history
    boards = []
    plans = _plans(store, lambda s: boards.append(lead_review.scoreboard(s, AT, days=7)))
    since = to_db_text(AT - timedelta(days=7))
    assert sum(d.assigned for d in boards[0]) == sum(
        1 for c in truth if c["created_at"] >= since and c["lead_department"])
    assert "ix_case_created_at" in plans[0], plans
    assert not _whole_table(plans[0], _partial_indexes(store)), plans
