"""The lead's review of the knowledge base: what callers ask most, and where no article helps.

- `asked_most`: the articles agents answered from most in a period (from `kb_answer`), with
  sample questions: what the knowledge base is for, in the callers' words;
- `missing`: calls answered directly or dispatched in a period that no article answered (no
  `kb_answer` row) and for which knowledge search finds no strong article either; clustered by
  topic like the hot spots (`models.cases.lead_review.hot_spots`): by category, then by the word
  most of them share, so that a cluster reads "供暖 · 暖气费: 14 calls";
- `write_csv`: both, in one CSV, for the lead to take away.

Reads the store; runs one knowledge search per unanswered call (the newest `MAX_CALLS`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from models.domain.timeutil import from_db_text, now, to_db_text, to_iso
from models.search.normalise import normalise, terms

from .search import FILLER, KnowledgeSearch

MAX_CALLS = 2_000  # unanswered calls searched per review, newest first
MIN_CLUSTER = 2  # calls sharing a word before it makes a topic of its own
GAP_DISPOSITIONS = ("answered", "dispatch")


@dataclass
class AskedArticle:
    article_id: str
    title: str
    lang: str
    answers: int
    cases: int
    latest: datetime
    questions: list[str]  # the latest few, as callers asked


@dataclass
class Gap:
    category: str
    topic: str  # the word the calls share ("" for the rest of a category)
    calls: int
    callers: int
    latest: datetime
    questions: list[str]
    case_nos: list[str] = field(default_factory=list)
    best_article: str = ""  # the best (weak) article search found, to improve or to replace


def _period(days: int, at: datetime | None) -> tuple[str, str]:
    end = at or now()
    return to_db_text(end - timedelta(days=days)), to_db_text(end)


def asked_most(store, days: int = 30, at: datetime | None = None,
               limit: int = 20) -> list[AskedArticle]:
    since, until = _period(days, at)
    with store.raw() as conn:
        rows = conn.execute(
            "SELECT k.article_id, coalesce(a.title, ''), coalesce(a.lang, ''), count(*), "
            "count(DISTINCT nullif(k.case_id, '')), max(k.at) FROM kb_answer k "
            "LEFT JOIN kb_article a ON a.id = k.article_id WHERE k.at >= ? AND k.at <= ? "
            "GROUP BY k.article_id ORDER BY count(*) DESC, max(k.at) DESC LIMIT ?",
            (since, until, limit)).fetchall()
        out = []
        for article_id, title, lang, n, cases, latest in rows:
            questions = [q for (q,) in conn.execute(
                "SELECT question FROM kb_answer WHERE article_id = ? AND at >= ? AND at <= ? "
                "AND question != '' ORDER BY at DESC LIMIT 3", (article_id, since, until))]
            out.append(AskedArticle(article_id, title, lang, n, cases, from_db_text(latest),
                                    questions))
    return out


def missing(store, days: int = 30, at: datetime | None = None, limit: int = 30,
            engine: KnowledgeSearch | None = None) -> list[Gap]:
    """Calls no article answered, clustered by category and shared word, biggest first."""
    since, until = _period(days, at)
    with store.raw() as conn:
        rows = conn.execute(
            'SELECT case_no, title, description, category, caller_phone, created_at FROM "case" '
            "WHERE created_at >= ? AND created_at <= ? AND disposition IN (?, ?) "
            "AND id NOT IN (SELECT case_id FROM kb_answer) ORDER BY created_at DESC LIMIT ?",
            (since, until, *GAP_DISPOSITIONS, MAX_CALLS)).fetchall()
    own = engine is None
    engine = engine or KnowledgeSearch(store)
    unmatched = []
    try:
        for case_no, title, description, category, phone, created in rows:
            question = description or title
            hits = engine.search(question, limit=1)
            if hits and hits[0].strong:
                continue
            unmatched.append((case_no, question, category, phone, from_db_text(created),
                              hits[0].id if hits else ""))
    finally:
        if own:
            engine.close()
    return _cluster(unmatched)[:limit]


def _cluster(calls: list[tuple]) -> list[Gap]:
    by_category: dict[str, list[tuple]] = {}
    for call in calls:
        by_category.setdefault(call[2], []).append(call)
    gaps: list[Gap] = []
    for category, members in by_category.items():
        words = {c[0]: {w for w in terms(c[1]) if w not in FILLER and len(w) > 1} for c in members}
        left = list(members)
        while left:
            df = Counter(w for c in left for w in words[c[0]])
            common = [(n, w) for w, n in df.items() if n >= MIN_CLUSTER]
            if not common:
                gaps.append(_gap(category, "", left))
                break
            _, word = max(common)
            taken = [c for c in left if word in words[c[0]]]
            gaps.append(_gap(category, _label(word, [c[1] for c in taken]), taken))
            left = [c for c in left if word not in words[c[0]]]
    gaps.sort(key=lambda g: (-g.calls, -g.latest.timestamp()))
    return gaps


def _label(word: str, texts: list[str], longest: int = 12) -> str:
    """The word, widened to what every call in the cluster says around it (公积 → 公积金贷款额度)."""
    flat = [normalise(t) for t in texts]
    if not all(word in f for f in flat):  # an English stem: show it as most of them wrote it
        forms = Counter(m for f in flat for m in re.findall(rf"\b{re.escape(word)}\w*", f))
        return forms.most_common(1)[0][0] if forms else word
    first = flat[0]
    start = first.find(word)
    end = start + len(word)
    while end - start < longest:
        grown = False
        if end < len(first) and all(first[start:end + 1] in f for f in flat):
            end, grown = end + 1, True
        if start > 0 and end - start < longest and all(first[start - 1:end] in f for f in flat):
            start, grown = start - 1, True
        if not grown:
            break
    return first[start:end].strip(" ，。,.?？!！")


def _gap(category: str, topic: str, calls: list[tuple]) -> Gap:
    calls = sorted(calls, key=lambda c: c[4], reverse=True)
    best = Counter(c[5] for c in calls if c[5]).most_common(1)
    return Gap(category=category, topic=topic, calls=len(calls),
               callers=len({c[3] for c in calls if c[3]}), latest=calls[0][4],
               questions=[c[1][:120] for c in calls[:3]], case_nos=[c[0] for c in calls],
               best_article=best[0][0] if best else "")


CSV_COLUMNS = ("kind", "category", "topic", "article_id", "title", "count", "callers", "latest",
               "questions", "case_nos")


def csv_rows(asked: list[AskedArticle], gaps: list[Gap]) -> list[dict]:
    """`kind` is `answered_from_article` (asked most) or `no_article` (a gap)."""
    out = []
    for a in asked:
        out.append({"kind": "answered_from_article", "category": "", "topic": "",
                    "article_id": a.article_id, "title": a.title, "count": a.answers,
                    "callers": a.cases, "latest": to_iso(a.latest),
                    "questions": " | ".join(a.questions), "case_nos": ""})
    for g in gaps:
        out.append({"kind": "no_article", "category": g.category,
                    "topic": g.topic, "article_id": g.best_article, "title": "",
                    "count": g.calls, "callers": g.callers, "latest": to_iso(g.latest),
                    "questions": " | ".join(g.questions), "case_nos": " ".join(g.case_nos)})
    return out


def write_csv(path: Path | str, asked: list[AskedArticle], gaps: list[Gap]) -> int:
    """Both views in one CSV (UTF-8 with BOM, for spreadsheets); returns the rows written."""
    rows = csv_rows(asked, gaps)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
