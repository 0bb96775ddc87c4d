"""Knowledge search: the articles that answer what a caller asks, best first.

    hits = KnowledgeSearch(store).search("暖气什么时候开始烧", limit=5)

Two stages, like the similar-case search:
1. candidates: the question's terms, widened by what callers mean (the synonym lexicon, a
   spelling fixed against the index's own words, Chinese read by sound, pinyin initials), read
   their postings in the articles' own index (`models.kb.index`); numpy adds up BM25F weights
   and keeps the best few dozen;
2. ranking: each candidate is scored on that text score, how much of its title the question
   covers, and how much of the question it covers (a synonym's article covers the word the caller
   used); an article in the question's language, and one in force, ranks above its translation
   and above an expired or not-yet-valid one. Translations collapse to the best of their group.

Questions agents answered from an article are part of its index entry (`record_answer`), so
what callers said before finds it again. Safe to call from worker threads: each thread gets its
own SQLite connection.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from models.domain.i18n import Reason
from models.domain.timeutil import now
from models.search.normalise import HAN, STOPWORDS, normalise, terms_of_normalised
from models.search.snippet import match_spans
from models.search.tokens import address_extents

from . import index
from .articles import SELECT_ARTICLE, Article, ArticleStatus, row_to_article, status
from .lexicon import Lexicon, lexicon_for
from .text import (
    CHAR,
    INITIALS,
    PINYIN,
    char_terms,
    english_words,
    initials_candidates,
    phrase_key,
    pinyin_line,
    pinyin_terms,
)

CANDIDATES = 60
# Weights of the kinds of query terms.
Q_WORD, Q_FILLER, Q_SYNONYM, Q_SPELLING, Q_SOUND, Q_INITIALS, Q_CHAR = \
    1.0, 0.15, 0.8, 0.8, 0.4, 0.6, 0.3
# The final score: text (BM25F against the best the question's own words could score), title
# covered by the question, question covered by the article (points out of 100).
A_TEXT, A_TITLE, A_QUESTION = 0.5, 0.25, 0.25
OTHER_LANGUAGE, NOT_IN_FORCE = 0.6, 0.92
CROSS_LANGUAGE = 0.25  # a synonym in the other language searches at this share of its weight
MIN_SCORE = 0.0  # a floor under suggestions (none: a weak hit can still be the answer)
STRONG = 25.0  # a hit scoring this or more answers the question (the gap review's line)

# Words every question has and no article is about (weighed down, not dropped).
FILLER = frozenset("""
请问 问一 一下 我想 想问 问下 想知 知道 什么 怎么 么办 怎样 如何 可以 能不 不能 是不 不是 你们 我们
这个 那个 有没 没有 为什 么时 时候 一个 现在 的话 了吗 哪里 哪儿 要去 去哪 在哪 办理 需要 应该 打电
电话 个问 问题 的吗 吗 呢 啊 了 的 我 你 是 有 在 要 能 吧
how what when where who why which do does did can could need want get please hi hello about
any tell know there here would should much many way someone
咨询 反映 投诉 流程 请求 帮忙 帮我 麻烦
""".split())

_HAN_RE = re.compile(f"[{HAN}]")
_LATIN_WORD = re.compile(r"[a-z]+")


@dataclass
class KbHit:
    id: str
    group_id: str
    lang: str
    title: str
    answer: str
    category: str
    department: str
    tags: list[str]
    version: int
    status: ArticleStatus
    valid_from: datetime | None
    valid_until: datetime | None
    score: float
    matched: list[str]  # the article's words the question matched (for highlighting)
    title_spans: list[tuple[int, int]]
    answer_spans: list[tuple[int, int]]
    why: list[Reason] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """In force now (false when expired or not yet valid)."""
        return self.status is ArticleStatus.CURRENT

    @property
    def strong(self) -> bool:
        return self.score >= STRONG

    def why_text(self, lang: str = "en") -> list[str]:
        return [r.text(lang) for r in self.why]


@dataclass
class _Query:
    weights: dict[str, float]  # term -> weight
    own: set[str]  # the question's own content terms
    covers: dict[str, set[str]]  # an expansion term -> the question's terms it stands for
    reasons: list[tuple[Reason, set[str]]]  # a reason and the terms it brought in
    lang: str

    def expand(self, terms: Iterable[str], weight: float, stands_for: set[str]) -> set[str]:
        """Add terms that stand for some of the question's (`stands_for`) at this weight
        (a term keeps the highest weight it was given); returns the terms it raised."""
        weights, own, covers = self.weights, self.own, self.covers
        added = set()
        for term in terms:
            if term not in own and weights.get(term, 0.0) < weight:
                weights[term] = weight
                added.add(term)
            covers.setdefault(term, set()).update(stands_for)
        return added


def _question(norm: str, lang: str) -> _Query:
    """The question's own terms (filler words weighed down), before any expansion."""
    weights: dict[str, float] = {}
    own: set[str] = set()
    for term in terms_of_normalised(norm):
        w = Q_FILLER if term in FILLER else Q_WORD
        weights[term] = max(weights.get(term, 0.0), w)
        if w == Q_WORD:
            own.add(term)
    return _Query(weights, own, {}, [], lang)


def _without_addresses(norm: str) -> tuple[str, str]:
    """The question with the addresses it gives blanked out, and those addresses."""
    extents = address_extents(norm)
    if not extents:
        return norm, ""
    places = " ".join(norm[a:b] for a, b in extents)
    for a, b in reversed(extents):
        norm = norm[:a] + " " + norm[b:]
    return norm, places


def question_lang(text: str) -> str:
    return _lang_of(normalise(text))


def _lang_of(norm: str) -> str:
    return "zh" if _HAN_RE.search(norm) else "en"


class KnowledgeSearch:
    """`KnowledgeSearch(store).search(text, limit=10) -> list[KbHit]`."""

    def __init__(self, store_or_path, lexicon: Lexicon | None = None) -> None:
        self.path = Path(getattr(store_or_path, "path", store_or_path))
        data_dir = getattr(store_or_path, "data_dir", None)
        self.lexicon = lexicon if lexicon is not None else lexicon_for(data_dir)
        self._lexicon_words = self.lexicon.english_vocabulary()
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            from models.store import connect

            conn = self._local.conn = connect(self.path)
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def search(self, text: str, *, lang: str | None = None, limit: int = 10,
               at: datetime | None = None, collapse: bool = True) -> list[KbHit]:
        """The articles for a question, best first. `lang`: the caller's language (default:
        the question's); `collapse`: one article per translation group."""
        if not text.strip() or limit <= 0:
            return []
        conn = self._conn()
        if not index.is_current(conn):
            index.catch_up(conn)
        conn.execute("BEGIN")
        try:
            return self._search(conn, text, lang or question_lang(text), limit, at or now(),
                                collapse)
        finally:
            conn.execute("COMMIT")

    # --- the question -------------------------------------------------------------------------
    def _query(self, conn: sqlite3.Connection, text: str, lang: str) -> _Query:
        """The question's terms, widened by what callers mean: spellings fixed, the lexicon's
        synonyms and sound-alikes, pinyin, characters and initials (in that order: a term
        keeps the weight of the first expansion that gave it the most)."""
        norm, places = _without_addresses(normalise(text))
        q = _question(norm, lang)
        # An address the caller gives says where, not what: its words count as filler do
        # (梦都大街18号 has 大街, "45 Park Place" a park) and nothing is derived from them.
        q.expand(terms_of_normalised(places), Q_FILLER, set())
        words = english_words(norm)
        fixed, unknown = self._fix_spelling(conn, q, words)
        self._expand_lexicon(q, norm, phrase_key([fixed.get(w, w) for w in words]))
        q.expand(pinyin_terms(norm), Q_SOUND, set())
        q.expand(char_terms(norm), Q_CHAR, set())
        initials = [INITIALS + w[:4] for w in initials_candidates(norm) if w in unknown]
        if initials:
            added = q.expand(initials, Q_INITIALS, set())
            q.reasons.append((Reason("kb.why.initials",
                                     {"initials": initials[0][len(INITIALS):]}), added))
        return q

    def _fix_spelling(self, conn: sqlite3.Connection, q: _Query,
                      words: list[str]) -> tuple[dict[str, str], list[str]]:
        """An English word neither the index nor the lexicon knows, one edit away from one
        they know, also searches as that word. Returns (the fixes, the unknown words)."""
        fixed: dict[str, str] = {}
        unknown = [w for w in dict.fromkeys(words) if w.isalpha() and w not in STOPWORDS
                   and w not in FILLER and w not in self._lexicon_words]
        known = _known_terms(conn, unknown) if unknown else {}
        unknown = [w for w in unknown if w not in known]
        for word in unknown:
            if len(word) < 5:  # short words: too many neighbours one edit away
                continue
            fix = self._correct(conn, word)
            if fix:
                fixed[word] = fix
                added = q.expand([fix], Q_SPELLING, {word})
                q.reasons.append((Reason("kb.why.spelling", {"said": word, "means": fix}), added))
        return fixed, unknown

    def _expand_lexicon(self, q: _Query, norm: str, words_line: str) -> None:
        """The lexicon's phrases found in the question (as written, as spelled once fixed, or
        by sound) bring their other phrasings: the question's language in full, the other
        language at CROSS_LANGUAGE of the weight."""
        lang = q.lang
        for found in self.lexicon.find(norm, words_line, pinyin_line(norm)):
            phrase_terms = set(terms_of_normalised(found.phrase.norm))
            if found.how == "sound":  # the question's own (mistyped) terms it stands for
                sounds = set(pinyin_terms(found.phrase.norm))
                origin = {t for t in q.own if len(t) == 2 and pinyin_terms(t)
                          and pinyin_terms(t)[0] in sounds}
                brought = [*phrase_terms]
            else:
                origin = phrase_terms & q.own
                brought = []
            added = q.expand(brought, Q_SYNONYM, origin)
            same = [t for p in found.others if _lang_of(p.norm) == lang
                    for t in terms_of_normalised(p.norm)]
            other = [t for p in found.others if _lang_of(p.norm) != lang
                     for t in terms_of_normalised(p.norm)]
            added |= q.expand(same, Q_SYNONYM, origin)
            added |= q.expand(other, Q_SYNONYM * CROSS_LANGUAGE, origin)
            key = "kb.why.sounds_like" if found.how == "sound" else "kb.why.synonym"
            said_as = [p for p in found.others if _lang_of(p.norm) == lang] or list(found.others)
            means = found.phrase.text if found.how == "sound" else said_as[0].text
            q.reasons.append((Reason(key, {"said": found.phrase.text, "means": means}), added))

    def _correct(self, conn: sqlite3.Connection, word: str) -> str:
        candidates = _edits(word)
        in_lexicon = sorted(c for c in candidates if c in self._lexicon_words)
        if in_lexicon:
            return in_lexicon[0]
        known = _known_terms(conn, list(candidates))
        if not known:
            return ""
        # The commonest of the known words one edit away.
        return max(known, key=lambda t: (known[t], t))

    # --- search -------------------------------------------------------------------------------
    def _search(self, conn: sqlite3.Connection, text: str, lang: str, limit: int, at: datetime,
                collapse: bool) -> list[KbHit]:
        import numpy as np

        q = self._query(conn, text, lang)
        row = conn.execute("SELECT value FROM kb_index_state WHERE key = 'docs'").fetchone()
        n_docs = max(float(row[0] or 0) if row else 0.0, 1.0)  # no row: no article indexed yet
        terms = list(q.weights)
        postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i in range(0, len(terms), 500):
            part = terms[i:i + 500]
            for term, docs, weights in conn.execute(
                    "SELECT term, docs, weights FROM kb_index_term WHERE term IN "
                    f"({','.join('?' * len(part))})", part):
                postings[term] = (np.frombuffer(docs, dtype=np.uint32),
                                  np.frombuffer(weights, dtype=np.uint8))
        if not postings:
            return []
        idf = {t: math.log(1 + (n_docs - len(d) + 0.5) / (len(d) + 0.5))
               for t, (d, _) in postings.items()}
        coef = {t: q.weights[t] * idf[t] / 255 for t in postings}
        top = max(int(d[-1]) for d, _ in postings.values())
        total = np.zeros(top + 1, dtype=np.float64)
        for term, (docs, weights) in postings.items():
            total[docs] += weights * coef[term]
        hit = np.flatnonzero(total)
        if len(hit) > CANDIDATES:
            hit = hit[np.argpartition(total[hit], -CANDIDATES)[-CANDIDATES:]]
        # The best the question's own words could score: every one in an article, saturated.
        best = sum(q.weights[t] * idf.get(t, _idf_unseen(n_docs)) for t in q.own) or \
            sum(coef[t] * 255 for t in coef)
        rows = conn.execute(
            f"SELECT d.docno, {_CANDIDATE_COLS} FROM kb_index_doc d JOIN "
            f"kb_article a ON a.id = d.article_id WHERE NOT a.withdrawn AND d.docno IN "
            f"({','.join('?' * len(hit))})", [int(x) for x in hit]).fetchall()
        scored = []
        for row in rows:
            art = row_to_article(row[1:])
            scored.append((self._score(art, float(total[row[0]]), best, q, idf, at), art))
        scored.sort(key=lambda x: (-x[0], x[1].id))
        out: list[KbHit] = []
        seen: set[str] = set()
        for score, art in scored:
            if score < MIN_SCORE:
                break
            if collapse and art.group_id in seen:
                continue
            seen.add(art.group_id)
            out.append(self._hit(conn, art, score, q, at))
            if len(out) >= limit:
                break
        return out

    def _score(self, art: Article, text_score: float, best: float, q: _Query,
               idf: dict[str, float], at: datetime) -> float:
        key = _key_terms(art.id, art.version, art.title, tuple(art.tags), art.answer)
        title = _plain_terms(art.title)
        matched = set(q.weights) & (key | title)
        title_weight = sum(idf.get(t, 1.0) for t in title)
        title_cover = (sum(idf.get(t, 1.0) for t in title & set(q.weights)) / title_weight
                       if title_weight else 0.0)
        covered = set(q.own & key)
        for term in matched:
            covered |= q.covers.get(term, set()) & q.own
        own_weight = sum(idf.get(t, 1.0) for t in q.own)
        question_cover = (sum(idf.get(t, 1.0) for t in covered) / own_weight
                          if own_weight else 0.0)
        score = 100 * (A_TEXT * min(text_score / best, 1.0) if best else 0.0) \
            + 100 * (A_TITLE * title_cover + A_QUESTION * question_cover)
        if art.lang != q.lang:
            score *= OTHER_LANGUAGE
        if status(art, at) is not ArticleStatus.CURRENT:
            score *= NOT_IN_FORCE
        return score

    def _hit(self, conn: sqlite3.Connection, art: Article, score: float, q: _Query,
             at: datetime) -> KbHit:
        plain = {t for t in q.weights if not t.startswith((PINYIN, INITIALS, CHAR))
                 and t not in FILLER}
        title_spans = match_spans(art.title, plain)
        answer_spans = match_spans(art.answer, plain)
        matched = [art.title[a:b] for a, b in title_spans] + \
            [art.answer[a:b] for a, b in answer_spans]
        for tag in art.tags:
            if match_spans(tag, plain):
                matched.append(tag)
        doc_terms = _key_terms(art.id, art.version, art.title, tuple(art.tags), art.answer)
        doc_terms = doc_terms | _initials_of(art.title)
        why = [reason for reason, brought in q.reasons if brought & doc_terms]
        asked = _asked_before(conn, art.id, q.own)
        if asked:
            why.append(Reason("kb.why.asked", {"n": asked}))
        st = status(art, at)
        if st is not ArticleStatus.CURRENT:
            why.append(Reason(f"kb.status.{st.value}", warning=True))
        return KbHit(id=art.id, group_id=art.group_id, lang=art.lang, title=art.title,
                     answer=art.answer, category=art.category, department=art.department,
                     tags=list(art.tags), version=art.version, status=st,
                     valid_from=art.valid_from, valid_until=art.valid_until,
                     score=round(score, 2), matched=list(dict.fromkeys(matched)),
                     title_spans=title_spans, answer_spans=answer_spans, why=why)


_COLS = ("id", "group_id", "lang", "title", "answer", "body", "category", "tags", "department",
         "valid_from", "valid_until", "version", "content_hash", "withdrawn", "source",
         "created_at", "updated_at", "updated_by")
assert SELECT_ARTICLE.startswith("SELECT " + ", ".join(_COLS))
# A candidate's columns: every one but the body (not needed to rank or show a suggestion).
_CANDIDATE_COLS = ", ".join("''" if c == "body" else "a." + c for c in _COLS)


def _idf_unseen(n_docs: float) -> float:
    return math.log(1 + (n_docs + 0.5) / 0.5)


@lru_cache(maxsize=4096)
def _plain_terms(text: str) -> frozenset[str]:
    """A text's terms, filler left out."""
    return frozenset(terms_of_normalised(normalise(text))) - FILLER


@lru_cache(maxsize=4096)
def _key_terms(article_id: str, version: int, title: str, tags: tuple[str, ...],
               answer: str) -> frozenset[str]:
    """The terms of what an article is about: title, tags, short answer (and their sound)."""
    norm = normalise(" ".join((title, *tags, answer)))
    return frozenset(terms_of_normalised(norm)) | frozenset(
        pinyin_terms(normalise(" ".join((title, *tags)))))


@lru_cache(maxsize=4096)
def _initials_of(title: str) -> frozenset[str]:
    from .text import initials_terms

    return frozenset(initials_terms(title))


def _known_terms(conn: sqlite3.Connection, terms: list[str]) -> dict[str, int]:
    """The terms the index has, with how many articles hold each."""
    out: dict[str, int] = {}
    for i in range(0, len(terms), 500):
        part = terms[i:i + 500]
        out.update(conn.execute(
            "SELECT term, length(docs) / 4 FROM kb_index_term WHERE term IN "
            f"({','.join('?' * len(part))})", part).fetchall())
    return out


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    """Words one edit away (delete, swap, replace, insert), in their indexed (stemmed) form."""
    from models.search.normalise import word_form

    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return {word_form(w) for w in out if len(w) >= 3}


def _asked_before(conn: sqlite3.Connection, article_id: str, own: set[str]) -> int:
    """How many recorded questions answered from this article read like this one."""
    if not own:
        return 0
    n = 0
    for (question,) in conn.execute(
            "SELECT question FROM kb_answer WHERE article_id = ? ORDER BY at DESC LIMIT ?",
            (article_id, index.MAX_ASKED)):
        theirs = _plain_terms(question)
        if theirs and len(theirs & own) >= 0.5 * min(len(own), len(theirs)):
            n += 1
    return n


def close_to_best(hits: list[KbHit], share: float = 0.3, floor: float = 0.0) -> list[KbHit]:
    """The hits worth showing a person: those scoring at least `share` of the best (and
    `floor`); the long tail of one shared character is left out."""
    if not hits:
        return []
    line = max(hits[0].score * share, floor)
    return [h for h in hits if h.score >= line]


def search_articles(store, text: str, **kwargs) -> list[KbHit]:
    """One search on a store (opens and closes its own connection)."""
    engine = KnowledgeSearch(store)
    try:
        return engine.search(text, **kwargs)
    finally:
        engine.close()
