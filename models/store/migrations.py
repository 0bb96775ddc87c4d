"""Schema versions of the terminal's local store, applied in order under PRAGMA user_version.

Each step is frozen once shipped: a store made by any earlier version upgrades with its data
intact (tests/fixtures holds a store file made by version 1). Add a step, never edit one.
`tests/models/test_store.py` checks that the migrated schema matches the SQLModel tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

V1 = """
CREATE TABLE meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE counter (key VARCHAR NOT NULL PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE department (
    code VARCHAR NOT NULL PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    aliases JSON NOT NULL, parent VARCHAR NOT NULL, district VARCHAR NOT NULL,
    categories JSON NOT NULL, location_kinds JSON NOT NULL, source VARCHAR NOT NULL);
CREATE TABLE category (
    code VARCHAR NOT NULL PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    parent VARCHAR NOT NULL, aliases JSON NOT NULL, due_days INTEGER NOT NULL,
    source VARCHAR NOT NULL);
CREATE TABLE caller (
    phone VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, last_call_at VARCHAR(32) NOT NULL);
CREATE TABLE "case" (
    id VARCHAR NOT NULL PRIMARY KEY, case_no VARCHAR NOT NULL, external_id VARCHAR UNIQUE,
    source VARCHAR NOT NULL, created_at VARCHAR(32) NOT NULL, updated_at VARCHAR(32) NOT NULL,
    caller_phone VARCHAR NOT NULL, caller_withheld BOOLEAN NOT NULL, caller_name VARCHAR NOT NULL,
    title VARCHAR NOT NULL, description VARCHAR NOT NULL, address VARCHAR NOT NULL,
    district VARCHAR NOT NULL, location_kind VARCHAR NOT NULL, category VARCHAR NOT NULL,
    urgency VARCHAR NOT NULL, disposition VARCHAR NOT NULL, lead_department VARCHAR NOT NULL,
    co_departments JSON NOT NULL, status VARCHAR NOT NULL, due_at VARCHAR(32),
    resolved_at VARCHAR(32), resolution VARCHAR NOT NULL, satisfaction VARCHAR NOT NULL,
    lat FLOAT, lon FLOAT, agent VARCHAR NOT NULL, version INTEGER NOT NULL,
    repeat_count INTEGER NOT NULL, sync_state VARCHAR NOT NULL);
CREATE INDEX ix_case_case_no ON "case" (case_no);
CREATE INDEX ix_case_created_at ON "case" (created_at);
CREATE INDEX ix_case_caller_phone ON "case" (caller_phone);
CREATE INDEX ix_case_lead_department ON "case" (lead_department);
CREATE INDEX ix_case_status_created ON "case" (status, created_at);
CREATE TABLE caseevent (
    id VARCHAR NOT NULL PRIMARY KEY, case_id VARCHAR NOT NULL REFERENCES "case" (id),
    kind VARCHAR NOT NULL, at VARCHAR(32) NOT NULL, agent VARCHAR NOT NULL,
    note VARCHAR NOT NULL, data JSON NOT NULL);
CREATE INDEX ix_caseevent_case_id ON caseevent (case_id);
"""

# Intake: drafts saved as the agent types (crash-safe), and rings from the phone system.
V2_INTAKE = """
CREATE TABLE draft (
    id VARCHAR NOT NULL PRIMARY KEY, agent VARCHAR NOT NULL, created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL, data JSON NOT NULL, state VARCHAR NOT NULL);
CREATE INDEX ix_draft_state_updated ON draft (state, updated_at);
CREATE TABLE ring (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, number VARCHAR NOT NULL,
    at VARCHAR(32) NOT NULL, handled BOOLEAN NOT NULL);
"""


V3_OUTBOX = """
CREATE TABLE outbox (
    seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR NOT NULL,
    case_id VARCHAR NOT NULL, payload JSON NOT NULL, created_at VARCHAR(32) NOT NULL,
    state VARCHAR NOT NULL, reason VARCHAR NOT NULL);
CREATE INDEX ix_outbox_state_seq ON outbox (state, seq);
"""


def _v3_outbox(conn: sqlite3.Connection) -> None:
    """The sync outbox; cases saved before it existed (sync_state 'local') are queued, in order."""
    import json

    _script(V3_OUTBOX)(conn)
    conn.row_factory = sqlite3.Row
    try:
        cases = conn.execute("SELECT * FROM \"case\" WHERE sync_state = 'local' "
                             "ORDER BY created_at, id").fetchall()
        for case in cases:
            data = {k: case[k] for k in case.keys() if k != "sync_state"}
            data["co_departments"] = json.loads(data["co_departments"] or "[]")
            data["caller_withheld"] = bool(data["caller_withheld"])
            events = [dict(e) | {"data": json.loads(e["data"] or "{}")} for e in conn.execute(
                "SELECT * FROM caseevent WHERE case_id = ? ORDER BY at, id", (case["id"],))]
            conn.execute(
                "INSERT INTO outbox (name, case_id, payload, created_at, state, reason) "
                "VALUES ('case.create.v1', ?, ?, ?, 'pending', '')",
                (case["id"], json.dumps({"case": data, "events": events}, ensure_ascii=False),
                 case["updated_at"]))
    finally:
        conn.row_factory = None


# The similar-case search index (models/search/index.py): postings per term in segments, the
# term dictionary, and the watermark of the last case indexed. Empty here: the index catches up
# with the existing cases on its first use (or `hotline search --rebuild`).
V4_SEARCH = """
CREATE TABLE search_state (key VARCHAR NOT NULL PRIMARY KEY, value NUMERIC NOT NULL);
CREATE TABLE search_term (
    term VARCHAR NOT NULL PRIMARY KEY, df INTEGER NOT NULL, segments INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_search_term_crowded ON search_term (segments) WHERE segments >= 8;
CREATE TABLE search_postings (
    id INTEGER NOT NULL PRIMARY KEY, term VARCHAR NOT NULL, docs BLOB NOT NULL,
    weights BLOB NOT NULL);
CREATE INDEX ix_search_postings_term ON search_postings (term);
"""


# The knowledge base (models/kb): articles and their revisions, the answers given from them, the
# quick phrases, and the articles' own search index (derived: `hotline kb search --rebuild`).
V5_KB = """
CREATE TABLE kb_article (
    id VARCHAR NOT NULL PRIMARY KEY, group_id VARCHAR NOT NULL, lang VARCHAR NOT NULL,
    title VARCHAR NOT NULL, answer VARCHAR NOT NULL, body VARCHAR NOT NULL,
    category VARCHAR NOT NULL, tags JSON NOT NULL, department VARCHAR NOT NULL,
    valid_from VARCHAR(32), valid_until VARCHAR(32), version INTEGER NOT NULL,
    content_hash VARCHAR NOT NULL, withdrawn BOOLEAN NOT NULL, source VARCHAR NOT NULL,
    created_at VARCHAR(32) NOT NULL, updated_at VARCHAR(32) NOT NULL, updated_by VARCHAR NOT NULL);
CREATE INDEX ix_kb_article_group_id ON kb_article (group_id);
CREATE TABLE kb_revision (
    article_id VARCHAR NOT NULL, version INTEGER NOT NULL, at VARCHAR(32) NOT NULL,
    content JSON NOT NULL, PRIMARY KEY (article_id, version));
CREATE TABLE kb_answer (
    id VARCHAR NOT NULL PRIMARY KEY, case_id VARCHAR NOT NULL, question VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL, version INTEGER NOT NULL, lang VARCHAR NOT NULL,
    agent VARCHAR NOT NULL, at VARCHAR(32) NOT NULL);
CREATE INDEX ix_kb_answer_case_id ON kb_answer (case_id);
CREATE INDEX ix_kb_answer_at ON kb_answer (at);
CREATE INDEX ix_kb_answer_article_at ON kb_answer (article_id, at);
CREATE TABLE kb_phrase (
    code VARCHAR NOT NULL, lang VARCHAR NOT NULL, label VARCHAR NOT NULL, text VARCHAR NOT NULL,
    version INTEGER NOT NULL, withdrawn BOOLEAN NOT NULL, updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (code, lang));
CREATE TABLE kb_index_doc (
    docno INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, article_id VARCHAR NOT NULL UNIQUE,
    version INTEGER NOT NULL, answers INTEGER NOT NULL, terms BLOB NOT NULL,
    length FLOAT NOT NULL);
CREATE TABLE kb_index_term (
    term VARCHAR NOT NULL PRIMARY KEY, docs BLOB NOT NULL, weights BLOB NOT NULL);
CREATE TABLE kb_index_state (key VARCHAR NOT NULL PRIMARY KEY, value NUMERIC NOT NULL);
INSERT INTO kb_index_state (key, value) VALUES ('changes', 0), ('indexed', 0);
"""

# Any write to the articles or the answers, by any path (an import, a sync pull, a script), moves
# the change counter; the index compares it with what it has indexed (one key lookup per search).
V5_KB_TRIGGERS = tuple(
    f"CREATE TRIGGER kb_{table}_{op.lower()} AFTER {op} ON kb_{table} BEGIN "
    "UPDATE kb_index_state SET value = value + 1 WHERE key = 'changes'; END"
    for table in ("article", "answer") for op in ("INSERT", "UPDATE", "DELETE"))


def _v5_kb(conn: sqlite3.Connection) -> None:
    _script(V5_KB)(conn)
    for statement in V5_KB_TRIGGERS:
        conn.execute(statement)


# The work order's lifecycle (models/domain/lifecycle.py): the last return's reason, a pending
# extension request and the supervision count, kept on the case for the lead's queues; the
# timeline's index by kind and time for the scoreboard.
V6_LIFECYCLE = """
ALTER TABLE "case" ADD COLUMN return_reason VARCHAR NOT NULL DEFAULT '';
ALTER TABLE "case" ADD COLUMN extension_due_at VARCHAR(32);
ALTER TABLE "case" ADD COLUMN supervised_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_caseevent_kind_at ON caseevent (kind, at);
"""

# Search (issue 13): how many distinct terms each indexed case has (how much of a case a query
# covers, without tokenising the case again at query time), as uint16 arrays in blocks of 4096
# case rowids. Empty here: the index fills it as it indexes (an index made before is rebuilt,
# its format being older).
V7_SEARCH_DOCLEN = """
CREATE TABLE search_doclen (block INTEGER NOT NULL PRIMARY KEY, counts BLOB NOT NULL);
"""

# The terminal's own clock beside the server's receipt time (`models.domain.case_shape`:
# `taken_at`); NULL for cases saved before it existed.
V8_TAKEN_AT = """
ALTER TABLE "case" ADD COLUMN taken_at VARCHAR(32);
"""


# Department names from imported data that matched nothing in the catalogue, held for a lead
# (issue 13; `models.reference.pending`): the code their cases carry, the name as read, how many
# rows named it, from which import, when first seen. Not departments: the picker never lists them.
V9_PENDING_DEPARTMENT = """
CREATE TABLE pending_department (code VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL,
    cases INTEGER NOT NULL DEFAULT 0, source VARCHAR NOT NULL DEFAULT '',
    first_seen VARCHAR NOT NULL DEFAULT '');
CREATE INDEX ix_pending_department_name ON pending_department (name);
"""


# The shift lead's queues (issue 11): each queue's condition finds its rows through an index
# (`models.cases.lead_review._where`), so F6 opens quickly on a million cases.
V10_LEAD_QUEUES = """
CREATE INDEX ix_case_status_due ON "case" (status, due_at);
CREATE INDEX ix_case_status_disposition ON "case" (status, disposition, created_at);
CREATE INDEX ix_case_callbacks ON "case" (status, satisfaction, resolved_at, caller_phone);
CREATE INDEX ix_case_supervised ON "case" (due_at, status) WHERE supervised_count > 0;
CREATE INDEX ix_case_extension ON "case" (extension_due_at, status)
    WHERE extension_due_at IS NOT NULL;
CREATE INDEX ix_case_repeat ON "case" (repeat_count, status) WHERE repeat_count > 0;
CREATE INDEX ix_outbox_case_state ON outbox (case_id, state);
PRAGMA analysis_limit = 1000;
ANALYZE;
"""


# The queues of open cases and of callbacks due read partial indexes that hold only those cases
# (issue 13): a city's history, mostly closed, is most of a big store, and an import builds the
# case table's indexes again over every row (at 1,000,000 cases, 70 % closed: 3.7-4.4 s for
# step 10's three full indexes, 1.5 s for these four). The queries state each condition as the
# same literal text (`models.cases.lead_review._not_done`, `_callback_due`).
V11_OPEN_CASE_INDEXES = """
DROP INDEX ix_case_status_due;
DROP INDEX ix_case_status_disposition;
DROP INDEX ix_case_callbacks;
CREATE INDEX ix_case_open_due ON "case" (due_at) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ix_case_open_status ON "case" (status, disposition, created_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ix_case_open_satisfaction ON "case" (satisfaction, created_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ix_case_callbacks_due ON "case" (status, satisfaction, resolved_at, caller_phone)
    WHERE status = 'resolved' AND satisfaction = '' AND caller_phone != '';
PRAGMA analysis_limit = 1000;
ANALYZE "case";
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return apply


# Index i holds the step from version i to version i + 1.
STEPS: list[Callable[[sqlite3.Connection], None]] = [
    _script(V1),
    _script(V2_INTAKE),
    _v3_outbox,
    _script(V4_SEARCH),
    _v5_kb,
    _script(V6_LIFECYCLE),
    _script(V7_SEARCH_DOCLEN),
    _script(V8_TAKEN_AT),
    _script(V9_PENDING_DEPARTMENT),
    _script(V10_LEAD_QUEUES),
    _script(V11_OPEN_CASE_INDEXES),
]

LATEST = len(STEPS)


class StoreTooNew(RuntimeError):
    pass


def migrate(conn: sqlite3.Connection) -> tuple[int, int]:
    """Bring the store to LATEST in one transaction per step; returns (from, to)."""
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    if start > LATEST:
        raise StoreTooNew(
            f"this store has schema version {start}; this program knows up to {LATEST}: "
            "upgrade hotline")
    for version in range(start, LATEST):
        conn.execute("BEGIN IMMEDIATE")
        try:
            STEPS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start, LATEST
