"""The knowledge base: articles agents answer from, quick phrases, and what calls show is missing.

    from models.kb import KnowledgeSearch, import_articles, record_answer
    import_articles(store, "articles/")                   # Markdown files or a CSV
    hits = KnowledgeSearch(store).search("暖气什么时候来", limit=5)
    record_answer(store, case_id, question, hits[0].id, hits[0].version)

Modules: `tables` (the SQLModel tables), `articles` (versions, withdrawal, status in force),
`importer` (Markdown with front matter, CSV), `index` (the articles' own inverted index),
`text` (pinyin and initials terms), `lexicon` (caller words → article words), `search` (ranking),
`answers` (which article answered which question), `phrases` (quick phrases), `gaps` (the
lead's review of what is asked and what is missing), `demo` (the demo article set).
No front end here: no Textual, no FastAPI, no httpx.
"""

from __future__ import annotations

from .answers import AnsweredFrom, record_answer, record_answer_in
from .articles import ArticleInput, ArticleStatus, status, status_at
from .importer import KbImportReport, import_articles
from .search import KbHit, KnowledgeSearch, search_articles

__all__ = [
    "AnsweredFrom", "ArticleInput", "ArticleStatus", "KbHit", "KbImportReport", "KnowledgeSearch",
    "import_articles", "record_answer", "record_answer_in", "search_articles", "status",
    "status_at",
]
