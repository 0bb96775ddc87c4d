"""Which article answered which question: written when an agent answers from an article.

The intake calls `record_answer` (or `record_answer_in`, inside the transaction that saves the
case) when the agent inserts an article's short answer: the case, what the caller asked, the
article and the version whose text was given. The article's index entry learns the question at
once (`models.kb.index`), so the next caller who asks the same way finds it; the lead's gap
review counts these rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from models.domain.i18n import t
from models.domain.ids import new_id
from models.domain.text import clean_text
from models.domain.timeutil import now, to_db_text

from . import index


@dataclass(frozen=True)
class AnsweredFrom:
    """The article (and the version of it) whose short answer an agent gave on a call: what
    `models.cases.file_case` records on the case it files (`answered_from=`)."""

    article_id: str
    version: int
    title: str = ""
    lang: str = ""  # the article's language

    def note(self, lang: str = "en") -> str:
        """The line on the case's timeline, in the agent's language."""
        return t("kb.answered_from_note", lang, id=self.article_id, version=self.version,
                 title=clean_text(self.title, multiline=False))

    def data(self) -> dict[str, str | int]:
        """The created event's data keys that name it (flat, as the wire wants)."""
        return {"kb_article": self.article_id, "kb_version": int(self.version)}


def record_answer_in(conn: sqlite3.Connection, case_id: str, question: str, article_id: str,
                     version: int, *, agent: str = "", lang: str = "",
                     at: datetime | None = None) -> str:
    """Record the answer inside the caller's write transaction; returns the record's id."""
    row_id = new_id()
    caught_up = index.is_current(conn)
    conn.execute(
        "INSERT INTO kb_answer (id, case_id, question, article_id, version, lang, agent, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row_id, case_id or "", clean_text(question), article_id, int(version), lang, agent,
         to_db_text(at or now())))
    index.update(conn, [article_id])
    if caught_up:
        index.mark_indexed(conn)
    return row_id


def record_answer(store, case_id: str, question: str, article_id: str, version: int, *,
                  agent: str = "", lang: str = "", at: datetime | None = None) -> str:
    """`record_answer_in` in its own transaction on `store`."""
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row_id = record_answer_in(conn, case_id, question, article_id, version, agent=agent,
                                      lang=lang, at=at)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return row_id


def answers_for_case(store, case_id: str) -> list[dict]:
    """The articles (id, version, question, at) a case was answered from, oldest first."""
    with store.raw() as conn:
        rows = conn.execute("SELECT article_id, version, question, agent, at FROM kb_answer "
                            "WHERE case_id = ? ORDER BY at", (case_id,)).fetchall()
    return [dict(zip(("article_id", "version", "question", "agent", "at"), r, strict=True))
            for r in rows]
