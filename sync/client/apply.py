"""Apply a pull page to the local store, in one local transaction with the new cursor.

First the acknowledgements (rows the server has processed leave the outbox, or are marked
rejected/conflict); then server state: reference data, cases (synced; a case with changes still
pending here keeps the local version until they are applied — the server logs the case again
when they are), events (append-only: insert if missing), knowledge articles and quick phrases
(the server's versions; a withdrawn article leaves the knowledge index in the same transaction,
`models.kb.synced`). A kill at any point leaves either the
old cursor with the old data or the new cursor with the new data.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects.sqlite import insert

from models.cases.indexing import after_change, before_change
from models.kb.articles import ArticleInput
from models.kb.synced import SyncedArticle, SyncedPhrase, apply_articles, apply_phrases
from models.store import Store
from models.store.tables import Case, CaseEvent, Category, Department
from sync.protocol import PullResponse

from . import queue


def apply_pull(store: Store, resp: PullResponse) -> tuple[int, int]:
    """Returns (cases, events) written."""
    with store.writer() as s:
        queue.settle_acked(s, resp.last_seq, resp.acks, resp.acks_to)
        if resp.departments:
            stmt = insert(Department.__table__)
            rows = [d.model_dump() for d in resp.departments]
            s.execute(stmt.on_conflict_do_update(index_elements=["code"], set_={
                c: stmt.excluded[c] for c in rows[0] if c != "code"}), rows)
        if resp.categories:
            stmt = insert(Category.__table__)
            rows = [c.model_dump() for c in resp.categories]
            s.execute(stmt.on_conflict_do_update(index_elements=["code"], set_={
                c: stmt.excluded[c] for c in rows[0] if c != "code"}), rows)
        n_cases = n_events = 0
        before = before_change(s, [c.id for c in resp.cases] + [e.case_id for e in resp.events])
        if resp.cases:
            busy = set(s.execute(text(
                "SELECT DISTINCT case_id FROM outbox WHERE state = 'pending'")).scalars())
            rows = [c.model_dump() | {"sync_state": "synced"} for c in resp.cases if c.id not in busy]
            ext = [r["external_id"] for r in rows if r["external_id"]]
            if ext:  # an imported local case may hold the same external id under another id
                taken = dict(s.execute(select(Case.__table__.c.external_id, Case.__table__.c.id)
                                       .where(Case.__table__.c.external_id.in_(ext))).all())
                for r in rows:
                    if r["external_id"] in taken and taken[r["external_id"]] != r["id"]:
                        r["external_id"] = None
            if rows:
                stmt = insert(Case.__table__)
                s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={
                    c: stmt.excluded[c] for c in rows[0] if c != "id"}), rows)
            n_cases = len(rows)
        if resp.events:
            case_ids = {e.case_id for e in resp.events}
            present = set(s.execute(select(Case.__table__.c.id)
                                    .where(Case.__table__.c.id.in_(case_ids))).scalars())
            rows = [e.model_dump() for e in resp.events if e.case_id in present]
            if rows:
                # The server's copy wins: it stamped the author and time, and recorded the
                # step as the case's state on the server made it (a dispatch of a returned
                # case is a re-dispatch), so every terminal holds one timeline.
                stmt = insert(CaseEvent.__table__)
                s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={
                    c: stmt.excluded[c] for c in ("kind", "at", "agent", "note", "data")}), rows)
            n_events = len(rows)
        after_change(s, before)  # the search index follows pulled cases and repeat calls
        if resp.kb_articles or resp.kb_phrases:
            _apply_kb(s.connection().connection.driver_connection, resp)
        s.execute(text("INSERT OR REPLACE INTO meta (key, value) VALUES (:k, :v)"),
                  {"k": queue.CURSOR, "v": str(resp.cursor)})
        s.commit()
    return n_cases, n_events


def _apply_kb(conn, resp: PullResponse) -> None:
    """Pulled articles and phrases, on the session's own connection (same transaction)."""
    apply_articles(conn, [SyncedArticle(ArticleInput(
        id=a.id, title=a.title, answer=a.answer, lang=a.lang, body=a.body, category=a.category,
        tags=list(a.tags), department=a.department, valid_from=a.valid_from,
        valid_until=a.valid_until, group_id=a.group_id, withdrawn=a.withdrawn),
        a.version, a.updated_at, a.updated_by) for a in resp.kb_articles])
    apply_phrases(conn, [SyncedPhrase(p.code, p.lang, p.label, p.text, p.version, p.withdrawn,
                                      p.updated_at) for p in resp.kb_phrases])
