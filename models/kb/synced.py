"""Articles and quick phrases pulled from the central server, written into the terminal's store.

The server is the authority: a pulled article takes the server's version and content (a local
import of the same id is overwritten), and its revision is kept so an answer given from it can be
read back later. A withdrawn one stays in `kb_article` as withdrawn (answers given from it still
name it) and leaves the search index in the same transaction: search never finds it again. A
pulled phrase takes the server's version; a deleted one is withdrawn (and not re-added by the
built-in set, which only fills codes a store lacks).

Everything runs inside the caller's write transaction (a sync pull page applies in one).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from models.domain.timeutil import now, to_db_text

from . import index
from .articles import _COLUMNS, ArticleInput


@dataclass
class SyncedArticle:
    article: ArticleInput  # its content, `withdrawn` included
    version: int
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass
class SyncedPhrase:
    code: str
    lang: str
    label: str
    text: str
    version: int
    withdrawn: bool = False
    updated_at: datetime | None = None


SOURCE = "server"


def apply_articles(conn: sqlite3.Connection, pulled: Iterable[SyncedArticle]) -> int:
    """Upsert pulled articles with the server's versions and bring their index entries up to
    date, inside the caller's transaction; returns how many were written."""
    pulled = list(pulled)
    if not pulled:
        return 0
    caught_up = index.is_current(conn)
    rows, revisions = [], []
    for item in pulled:
        art = item.article
        content = art.content()
        stamp = to_db_text(item.updated_at or now())
        values = dict(content, tags=json.dumps(art.tags, ensure_ascii=False),
                      version=item.version, content_hash=art.content_hash(content),
                      source=SOURCE, created_at=stamp, updated_at=stamp,
                      updated_by=item.updated_by)
        rows.append([values[c] for c in _COLUMNS])
        revisions.append((art.id, item.version, stamp, json.dumps(content, ensure_ascii=False)))
    changed = [c for c in _COLUMNS if c not in ("id", "created_at")]
    conn.executemany(
        f"INSERT INTO kb_article ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in changed)}",
        rows)
    conn.executemany("INSERT INTO kb_revision (article_id, version, at, content) VALUES "
                     "(?, ?, ?, ?) ON CONFLICT (article_id, version) DO UPDATE SET "
                     "at = excluded.at, content = excluded.content", revisions)
    index.update(conn, [item.article.id for item in pulled])
    if caught_up:
        index.mark_indexed(conn)
    return len(rows)


def apply_phrases(conn: sqlite3.Connection, pulled: Iterable[SyncedPhrase]) -> int:
    rows = [(p.code, p.lang, p.label, p.text, p.version, int(p.withdrawn),
             to_db_text(p.updated_at or now())) for p in pulled]
    conn.executemany(
        "INSERT INTO kb_phrase (code, lang, label, text, version, withdrawn, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, lang) DO UPDATE SET "
        "label = excluded.label, text = excluded.text, version = excluded.version, "
        "withdrawn = excluded.withdrawn, updated_at = excluded.updated_at", rows)
    return len(rows)
