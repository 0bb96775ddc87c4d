"""The knowledge base on the central server, as a shift lead's terminal edits it: push a folder
of articles (read and checked here with the importer's own parser, checked again by the server),
publish, withdraw, save and delete quick phrases. Terminals get the result through pull."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from urllib.parse import quote

from models.kb.articles import ArticleInput
from models.kb.importer import Problem, collect
from sync.protocol import (
    MAX_KB_BATCH,
    KbArticleItem,
    KbArticleState,
    KbImportRequest,
    KbImportResponse,
    KbPhraseIn,
    KbPhraseWire,
)

from .http import ServerApi


@dataclass
class KbPushReport:
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    problems: list[Problem] = field(default_factory=list)  # bad files, found here
    rejected: list[KbArticleState] = field(default_factory=list)  # refused by the server

    def as_dict(self, lang: str = "en") -> dict:
        return {"files": self.files, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "published": self.published,
                "rejected": len(self.problems) + len(self.rejected),
                "problems": [{"file": p.file, "line": p.line, "code": p.code,
                              "message": p.message(lang)} for p in self.problems]
                + [{"file": "", "line": 0, "code": "server", "id": r.id, "message": r.reason}
                   for r in self.rejected]}


def item_of(art: ArticleInput) -> KbArticleItem:
    """The wire form of a parsed article: validity bounds as ISO date-times with their zone
    (resolved here, in the zone the file was read in)."""
    return KbArticleItem(
        id=art.id, title=art.title, answer=art.answer, lang=art.lang, body=art.body,
        category=art.category, tags=list(art.tags), department=art.department,
        valid_from=art.valid_from.isoformat() if art.valid_from else None,
        valid_until=art.valid_until.isoformat() if art.valid_until else None,
        translation_of="" if art.group_id == art.id else art.group_id)


def push_articles(api: ServerApi, path: Path, *, tz: tzinfo | None = None, publish: bool = True,
                  batch: int = MAX_KB_BATCH,
                  progress: Callable[[int, int], None] | None = None) -> KbPushReport:
    """Send every article under `path` to the server in batches (saved and, by default,
    published); bad files are reported by name and line and not sent."""
    report = KbPushReport()
    items: list[KbArticleItem] = []
    names: set[str] = set()
    for name, line, item in collect(Path(path), tz):
        names.add(name)
        if isinstance(item, ArticleInput):
            if item.withdrawn:
                continue  # withdrawing is its own step (`hotline kb withdraw ID --server`)
            items.append(item_of(item))
        else:
            report.problems.append(Problem(name, line, item[0], item[1]))
    report.files = len(names)
    for i in range(0, len(items), batch):
        resp = KbImportResponse.model_validate(api.send("POST", "/v1/kb/import", KbImportRequest(
            articles=items[i:i + batch], publish=publish)))
        for r in resp.results:
            if r.outcome == "rejected":
                report.rejected.append(r)
            else:
                setattr(report, r.outcome, getattr(report, r.outcome) + 1)
                report.published += int(r.published_version == r.version and not r.withdrawn)
        if progress:
            progress(min(i + batch, len(items)), len(items))
    return report


def _article_path(article_id: str, action: str = "") -> str:
    return f"/v1/kb/articles/{quote(article_id, safe='')}" + (f"/{action}" if action else "")


def publish(api: ServerApi, article_id: str) -> KbArticleState:
    return KbArticleState.model_validate(api.send("POST", _article_path(article_id, "publish")))


def withdraw(api: ServerApi, article_id: str) -> KbArticleState:
    return KbArticleState.model_validate(api.send("POST", _article_path(article_id, "withdraw")))


def _phrase_path(lang: str, code: str) -> str:
    return f"/v1/kb/phrases/{quote(lang, safe='')}/{quote(code.lstrip(';'), safe='')}"


def put_phrase(api: ServerApi, lang: str, code: str, text: str, label: str = "") -> KbPhraseWire:
    return KbPhraseWire.model_validate(api.send("PUT", _phrase_path(lang, code),
                                                KbPhraseIn(text=text, label=label)))


def delete_phrase(api: ServerApi, lang: str, code: str) -> KbPhraseWire:
    return KbPhraseWire.model_validate(api.send("DELETE", _phrase_path(lang, code)))


__all__ = ["KbPushReport", "delete_phrase", "item_of", "publish", "push_articles", "put_phrase",
           "withdraw"]


