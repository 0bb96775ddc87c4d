"""Knowledge articles: saving a version, withdrawing, reading, and whether one is in force.

Writes go through a raw SQLite connection inside the caller's transaction (an import of ten
thousand files is one transaction per batch, and the article's index entry is written in the
same one, `models.kb.index`). Every change of content is a new version, kept in `kb_revision`;
saving the same content again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from models.domain.i18n import t
from models.domain.text import clean_text
from models.domain.timeutil import from_db_text, local_zone, now, to_db_text

from .tables import KbArticle

LANGS = ("zh", "en")


class ArticleStatus(StrEnum):
    """Whether an article's answer is in force at a moment (`kb.status.<value>` labels)."""

    CURRENT = "current"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"

    def label(self, lang: str = "en") -> str:
        return t(f"kb.status.{self.value}", lang)


def status_at(valid_from: datetime | None, valid_until: datetime | None,
              at: datetime | None = None) -> ArticleStatus:
    """Never current before `valid_from` or after `valid_until` (both inclusive bounds)."""
    at = at or now()
    if valid_from is not None and at < valid_from:
        return ArticleStatus.NOT_YET_VALID
    if valid_until is not None and at > valid_until:
        return ArticleStatus.EXPIRED
    return ArticleStatus.CURRENT


def status(article: KbArticle | Article, at: datetime | None = None) -> ArticleStatus:
    return status_at(article.valid_from, article.valid_until, at)


@dataclass
class ArticleInput:
    """An article as a source gives it (a Markdown file, a CSV row, the server): cleaned text,
    aware validity bounds."""

    id: str
    title: str
    answer: str
    lang: str = "zh"
    body: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    department: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    group_id: str = ""  # the translation group: `translation_of`, else the article's own id
    withdrawn: bool = False

    def __post_init__(self) -> None:
        self.id = clean_text(self.id, multiline=False)
        self.title = clean_text(self.title, multiline=False)
        self.answer = clean_text(self.answer)
        self.body = clean_text(self.body)
        self.category = clean_text(self.category, multiline=False)
        self.department = clean_text(self.department, multiline=False)
        self.tags = [clean_text(tag, multiline=False) for tag in self.tags if clean_text(tag)]
        self.group_id = clean_text(self.group_id, multiline=False) or self.id

    def content(self) -> dict[str, Any]:
        """What a version is: every field, times in the storage form."""
        out = {name: getattr(self, name) for name in _FIELDS}
        out["tags"] = list(self.tags)
        for name in ("valid_from", "valid_until"):
            out[name] = to_db_text(out[name]) if out[name] is not None else None
        return out

    def content_hash(self, content: dict[str, Any] | None = None) -> str:
        raw = json.dumps(content or self.content(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


_FIELDS = tuple(ArticleInput.__dataclass_fields__)


ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"

_COLUMNS = ("id", "group_id", "lang", "title", "answer", "body", "category", "tags", "department",
            "valid_from", "valid_until", "version", "content_hash", "withdrawn", "source",
            "created_at", "updated_at", "updated_by")


def save_article(conn: sqlite3.Connection, art: ArticleInput, *, source: str = "",
                 by: str = "", at: datetime | None = None) -> tuple[str, int]:
    """Add the article, or a new version of it when its content changed; (outcome, version).

    Inside the caller's transaction. The index is not touched here: `models.kb.index` reads
    what changed (`index.update`)."""
    at = at or now()
    content = art.content()
    digest = art.content_hash(content)
    row = conn.execute("SELECT version, content_hash FROM kb_article WHERE id = ?",
                       (art.id,)).fetchone()
    if row is not None and row[1] == digest:
        return UNCHANGED, row[0]
    version = 1 if row is None else row[0] + 1
    stamp = to_db_text(at)
    values = dict(content, tags=json.dumps(art.tags, ensure_ascii=False), version=version,
                  content_hash=digest, source=source, created_at=stamp, updated_at=stamp,
                  updated_by=by)
    if row is None:
        conn.execute(f"INSERT INTO kb_article ({', '.join(_COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(_COLUMNS))})", [values[c] for c in _COLUMNS])
    else:
        changed = [c for c in _COLUMNS if c not in ("id", "created_at")]
        conn.execute(f"UPDATE kb_article SET {', '.join(f'{c} = ?' for c in changed)} "
                     "WHERE id = ?", [*(values[c] for c in changed), art.id])
    conn.execute("INSERT INTO kb_revision (article_id, version, at, content) VALUES (?, ?, ?, ?)",
                 (art.id, version, stamp, json.dumps(content, ensure_ascii=False)))
    return (ADDED if row is None else UPDATED), version


def set_withdrawn(conn: sqlite3.Connection, article_id: str, withdrawn: bool = True, *,
                  by: str = "", at: datetime | None = None) -> int | None:
    """Withdraw (or restore) an article as a new version, inside the caller's transaction, its
    index entry with it; its version, None when unknown."""
    from . import index

    art = get_article(conn, article_id)
    if art is None:
        return None
    if art.withdrawn == withdrawn:
        return art.version
    caught_up = index.is_current(conn)
    _, version = save_article(conn, _input_of(art, withdrawn=withdrawn), source=art.source,
                              by=by, at=at)
    index.update(conn, [article_id])
    if caught_up:
        index.mark_indexed(conn)
    return version


def _input_of(art: Article, **changes: Any) -> ArticleInput:
    values = {name: getattr(art, name) for name in ArticleInput.__dataclass_fields__}
    values.update(changes)
    return ArticleInput(**values)


@dataclass(slots=True)
class Article:
    """An article as read from the store: the columns of `KbArticle`, without the ORM's cost
    (a search reads dozens per keystroke)."""

    id: str
    group_id: str
    lang: str
    title: str
    answer: str
    body: str
    category: str
    tags: list[str]
    department: str
    valid_from: datetime | None
    valid_until: datetime | None
    version: int
    content_hash: str
    withdrawn: bool
    source: str
    created_at: datetime
    updated_at: datetime
    updated_by: str


def row_to_article(row: sqlite3.Row | tuple) -> Article:
    """An `Article` from a row of `SELECT_ARTICLE`'s columns, in order."""
    values = list(row)
    values[7] = json.loads(values[7] or "[]")  # tags
    values[13] = bool(values[13])  # withdrawn
    for i in (9, 10, 15, 16):  # valid_from, valid_until, created_at, updated_at
        if values[i] is not None:
            values[i] = from_db_text(values[i])
    return Article(*values)


SELECT_ARTICLE = f"SELECT {', '.join(_COLUMNS)} FROM kb_article"


def get_article(conn: sqlite3.Connection, article_id: str) -> Article | None:
    row = conn.execute(f"{SELECT_ARTICLE} WHERE id = ?", (article_id,)).fetchone()
    return row_to_article(row) if row else None


def get_articles(conn: sqlite3.Connection, ids: list[str]) -> dict[str, Article]:
    out: dict[str, Article] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        for row in conn.execute(f"{SELECT_ARTICLE} WHERE id IN ({','.join('?' * len(part))})",
                                part):
            art = row_to_article(row)
            out[art.id] = art
    return out


def translations(conn: sqlite3.Connection, article: Article) -> list[Article]:
    """The article's other languages (same group), withdrawn ones left out."""
    rows = conn.execute(f"{SELECT_ARTICLE} WHERE group_id = ? AND id != ? AND NOT withdrawn "
                        "ORDER BY lang, id", (article.group_id, article.id)).fetchall()
    return [row_to_article(r) for r in rows]


def revision(conn: sqlite3.Connection, article_id: str, version: int) -> dict[str, Any] | None:
    """An article's content as it was at `version` (what an agent read out then)."""
    row = conn.execute("SELECT content FROM kb_revision WHERE article_id = ? AND version = ?",
                       (article_id, version)).fetchone()
    return json.loads(row[0]) if row else None


def list_articles(conn: sqlite3.Connection, *, include_withdrawn: bool = False) -> list[Article]:
    where = "" if include_withdrawn else " WHERE NOT withdrawn"
    return [row_to_article(r) for r in conn.execute(f"{SELECT_ARTICLE}{where} ORDER BY id")]


def local_date(dt: datetime | None) -> str:
    """A validity bound as the date a person reads (the terminal's zone); "" when open."""
    return dt.astimezone(local_zone()).date().isoformat() if dt else ""
