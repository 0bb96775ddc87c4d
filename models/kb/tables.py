"""The knowledge base's tables, shaped for the terminal's store and, later, the central server.

Times are aware (`AwareDateTime`), lists are JSON, as in `models.store.tables`. The articles,
their revisions, the quick phrases and the answers given are the shared record (a server can hold
the same tables); the search index (`kb_index_*`, `models.kb.index`) is the terminal's own,
derived data that can be rebuilt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from models.store.db_types import AwareDateTime


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None if nullable else ...,
                 sa_column=Column(AwareDateTime(), nullable=nullable, index=index))


class KbArticle(SQLModel, table=True):
    """One knowledge article in one language: its current version.

    `id` is stable across versions (the front matter's `id`, or the file name); translations of
    one article share `group_id` (the `translation_of` article's id, or the article's own).
    `valid_from` / `valid_until` bound when its answer is in force (either may be open);
    `models.kb.articles.status` says what that means at a given moment. A `withdrawn` article
    stays in the table (answers given from it still name it) but is never found by search.
    """

    __tablename__ = "kb_article"

    id: str = Field(primary_key=True)
    group_id: str = Field(index=True)
    lang: str = "zh"  # zh | en
    title: str = ""
    answer: str = ""  # the short answer an agent reads out or sends
    body: str = ""  # Markdown
    category: str = ""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    department: str = ""  # the department that owns the answer (any name or catalogue code)
    valid_from: datetime | None = _time(nullable=True)
    valid_until: datetime | None = _time(nullable=True)
    version: int = 1
    content_hash: str = ""  # of every field above: a re-import that changes nothing is a no-op
    withdrawn: bool = False
    source: str = ""  # where it came from: a file name, "csv:<file>", "demo", a server
    created_at: datetime = _time()
    updated_at: datetime = _time()
    updated_by: str = ""


class KbRevision(SQLModel, table=True):
    """Every version an article has had, as it was: an answer given from version 3 can be read
    back word for word after version 4 replaced it."""

    __tablename__ = "kb_revision"

    article_id: str = Field(primary_key=True)
    version: int = Field(primary_key=True)
    at: datetime = _time()
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class KbAnswer(SQLModel, table=True):
    """A question answered from an article: which article and version gave the answer, for
    which case, when. Search learns from it; the lead's gap review reads it."""

    __tablename__ = "kb_answer"
    __table_args__ = (Index("ix_kb_answer_article_at", "article_id", "at"),)

    id: str = Field(primary_key=True)
    case_id: str = Field(default="", index=True)
    question: str = ""
    article_id: str = ""
    version: int = 1
    lang: str = ""
    agent: str = ""
    at: datetime = _time(index=True)


class KbPhrase(SQLModel, table=True):
    """A quick phrase: a standard sentence an agent says or writes, by short code and language
    (`;gr` + zh). `{name}`-style placeholders are filled by `models.kb.phrases.expand`."""

    __tablename__ = "kb_phrase"

    code: str = Field(primary_key=True)  # e.g. ";gr"
    lang: str = Field(primary_key=True)  # zh | en
    label: str = ""  # what the list shows (e.g. "Greeting")
    text: str = ""
    version: int = 1
    withdrawn: bool = False
    updated_at: datetime = _time()
