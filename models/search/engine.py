"""Similar prior cases: what the agent sees while the caller is still talking.

Two stages:
1. candidates: every query term (Chinese bigrams, English word stems, and the caller's phone,
   the address and its street as special terms) reads its postings; numpy adds up BM25-like
   contributions per case and keeps the best few hundred;
2. ranking: each candidate is scored on the signals a person would weigh, and each signal that
   counted is named in `why`: text similarity (how much of the query the case covers, and how
   much of the case the query covers), same caller, same or nearby address, same category,
   recency and open status.

`SimilarCaseSearch` is safe to call from worker threads: each thread gets its own SQLite
connection (a connection never crosses threads), and every search reads one WAL snapshot.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from models.domain.i18n import Reason
from models.domain.phone import PhoneError, normalise_phone
from models.domain.timeutil import from_db_text

from . import index
from .address import EMPTY, Place, address_key
from .normalise import normalise, terms_of_normalised
from .snippet import Snippet, make_snippet

CANDIDATES = 150  # cases kept from stage 1 for full scoring
COMMON_SHARE = 0.25  # terms in more cases than this share are left out of stage 1 when possible
POSTINGS_BUDGET = 2_000_000  # postings read per query at most (beyond the 8 most specific terms)
MAX_DOC_CHARS = 2_000  # text of a candidate compared in stage 2
OPEN_STATUSES = frozenset({"open", "dispatched", "in_progress", "returned"})
RECENT_DAYS = 7

# Weights of the signals in the final score (points; a perfect text match is worth 60).
W_TEXT, W_ADDRESS, W_NEARBY, W_STREET, W_PHONE = 60.0, 40.0, 12.0, 4.0, 35.0
# Text similarity: BM25 against the best a case could score, how much of the query the case
# covers (idf-weighted), how much of the case the query covers (a near-copy scores high on all),
# and how much of the case's subject (its title: a citizen's 主题, the agent's summary, the
# request type) the query covers, idf-weighted: the subject is a case's densest signal, and a
# caller describing the same matter names what that subject names.
A_BM25, A_QCOV, A_DCOV, A_SUBJECT = 0.5, 0.15, 0.15, 0.2
W_CATEGORY, W_RECENT, W_OPEN = 8.0, 4.0, 2.0

# Reasons that come before the text's (who and where first).
_PLACE_AND_CALLER = ("search.why.same_caller", "search.why.same_address", "search.why.nearby_address")

@dataclass(frozen=True)
class Query:
    text: str = ""
    address: str = ""
    phone: str = ""  # as typed or E.164
    category: str = ""  # a category code or name, when the agent has chosen one
    exclude: frozenset[str] = frozenset()  # case ids, numbers or external ids to leave out
    at: datetime | None = None  # "now" for recency (default: the clock)

    @property
    def empty(self) -> bool:
        return not (self.text.strip() or self.address.strip() or self.phone.strip())


@dataclass
class Hit:
    id: str  # Case.id
    case_no: str
    external_id: str | None
    score: float
    why: list[Reason]
    snippet: Snippet
    created_at: datetime
    age_days: float
    status: str
    department: str
    category: str
    title: str
    address: str
    caller_phone: str
    repeat_count: int

    @property
    def case_id(self) -> str:
        """The id the CSV schema and `hotline search --json` use (as `case_record`)."""
        return self.external_id or self.case_no

    def why_text(self, lang: str = "en") -> list[str]:
        return [r.text(lang) for r in self.why]


@dataclass
class _Candidate:
    row: tuple
    text_sim: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    score: float = 0.0


_CASE_SQL = ('SELECT rowid, id, case_no, external_id, title, description, address, category, '
             'status, created_at, lead_department, caller_phone, repeat_count FROM "case" '
             "WHERE rowid IN ({})")


class SimilarCaseSearch:
    """`SimilarCaseSearch(store).search(Query(text=...), limit=10) -> list[Hit]`."""

    def __init__(self, store_or_path) -> None:
        self.path = Path(getattr(store_or_path, "path", store_or_path))
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            from models.store import connect

            conn = self._local.conn = connect(self.path)
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread's objects go)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def catch_up(self) -> int:
        conn = self._conn()
        watermark, top = index.backlog(conn)
        return index.catch_up(conn) if top > watermark else 0

    def search(self, query: Query, limit: int = 10) -> list[Hit]:
        if query.empty or limit <= 0:
            return []
        conn = self._conn()
        self.catch_up()
        conn.execute("BEGIN")  # one snapshot for the whole search
        try:
            return self._search(conn, query, limit)
        finally:
            conn.execute("COMMIT")

    # --- stage 1 ------------------------------------------------------------------------------
    def _search(self, conn: sqlite3.Connection, query: Query, limit: int) -> list[Hit]:
        norm_text = normalise(query.text)
        qtf = Counter(terms_of_normalised(norm_text))
        phone = _e164(query.phone)
        place = address_key(query.address) if query.address.strip() else EMPTY
        state = {k: v for k, v in conn.execute("SELECT key, value FROM search_state")}
        n_docs = max(float(state.get("docs", 0)), 1.0)
        signals = index.signal_terms(query.address, phone)
        df = _document_frequencies(conn, list(qtf) + signals)
        idf = {t: _idf(n_docs, df.get(t, 0)) for t in qtf}
        chosen = _choose_terms(qtf, idf, df, n_docs)
        coef = {t: idf[t] * (2 * qtf[t] / (1 + qtf[t])) * (index.K1 + 1) / 255 for t in chosen}
        best_text = sum(c * 255 for c in coef.values()) or 1.0  # a case with every term, tf-saturated
        # The caller's phone and the exact address bring their cases in whatever the text says;
        # the street only lifts cases the text already found.
        must = [t for t in signals if not t.startswith(index.STREET) and df.get(t)]
        street = [t for t in signals if t.startswith(index.STREET) and df.get(t)]
        text_scores = _stage_one(conn, coef, {t: best_text * 0.1 / 255 for t in street},
                                 must, CANDIDATES)
        if not text_scores:
            return []
        rows = _fetch_cases(conn, list(text_scores))
        return self._rank(conn, rows, text_scores, best_text, query, norm_text, qtf, idf, n_docs,
                          phone, place, limit)

    # --- stage 2 ------------------------------------------------------------------------------
    def _rank(self, conn: sqlite3.Connection, rows: list[tuple], text_scores: dict[int, float],
              best_text: float, query: Query, norm_text: str, qtf: Counter,
              idf: dict[str, float], n_docs: float, phone: str, place: Place,
              limit: int) -> list[Hit]:
        now = query.at or datetime.now(UTC)
        qset = set(qtf)
        q_weight = sum(idf[t] for t in qset) or 1.0
        category = normalise(query.category).strip()
        query_words = f" {' '.join(t for t in terms_of_normalised(norm_text) if t.isascii())} "
        subjects = {row[0]: _doc_terms(row[4][:MAX_DOC_CHARS]) if row[4] else frozenset()
                    for row in rows}
        if qset:  # the idf of subject terms the query does not have (one lookup for them all)
            unseen = set().union(*subjects.values()) - idf.keys()
            df = _document_frequencies(conn, list(unseen))
            idf = idf | {t: _idf(n_docs, df.get(t, 0)) for t in unseen}
        cands: list[_Candidate] = []
        for row in rows:
            (rowid, cid, case_no, external_id, title, description, address, cat, status, created,
             _dept, cphone, _repeat) = row
            if query.exclude and (cid in query.exclude or case_no in query.exclude
                                  or (external_id and external_id in query.exclude)):
                continue
            c = _Candidate(row)
            score = 0.0
            if qset:
                dset = _doc_terms(index.document_text(title, description, address)[:MAX_DOC_CHARS])
                shared = qset & dset
                if shared:
                    q_cov = sum(idf[t] for t in shared) / q_weight
                    d_cov = len(shared) / len(dset)
                    bm25 = min(text_scores.get(rowid, 0.0) / best_text, 1.0)
                    c.text_sim = (A_BM25 * bm25 + A_QCOV * q_cov + A_DCOV * d_cov
                                  + A_SUBJECT * _subject_cover(subjects[rowid], qset, idf, d_cov))
                    score += W_TEXT * c.text_sim
            if phone and cphone == phone:
                score += W_PHONE
                c.reasons.append(Reason("search.why.same_caller"))
            if address:
                theirs = address_key(address)
                if place.key and place.same(theirs) or (
                        not place.key and _address_in_text(theirs, norm_text, query_words)):
                    score += W_ADDRESS
                    c.reasons.append(Reason("search.why.same_address"))
                elif place.key and place.near(theirs):
                    score += W_NEARBY
                    c.reasons.append(Reason("search.why.nearby_address"))
                elif place.street and place.street == theirs.street:
                    score += W_STREET
                    c.reasons.append(Reason("search.why.same_street"))
            if cat and _same_category(category, cat, norm_text):
                score += W_CATEGORY
                c.reasons.append(Reason("search.why.same_category"))
            created_at = from_db_text(created)
            age = max((now - created_at).total_seconds() / 86400, 0.0)
            score += W_RECENT * math.exp(-age / 30)
            if age <= RECENT_DAYS:
                c.reasons.append(Reason("search.why.recent"))
            if status in OPEN_STATUSES:
                score += W_OPEN
                c.reasons.append(Reason("search.why.open"))
            c.score = score
            cands.append(c)
        # Ties (the same report filed twice): the newer case first.
        cands.sort(key=lambda c: (-round(c.score, 6), -c.row[0]))
        return [self._hit(c, qset, now) for c in cands[:limit]]

    def _hit(self, c: _Candidate, qset: set[str], now: datetime) -> Hit:
        (_, cid, case_no, external_id, title, description, address, cat, status, created,
         dept, cphone, repeat) = c.row
        snippet = make_snippet(description, qset)
        if not snippet.spans and title:
            titled = make_snippet(title, qset)
            if titled.spans:
                snippet = titled
        why = list(c.reasons)
        if c.text_sim >= 0.15:
            words = sorted(dict.fromkeys(snippet.matched()), key=len, reverse=True)[:3]
            similar = (Reason("search.why.similar_words", {"words": " ".join(words)}) if words
                       else Reason("search.why.similar_text"))
            why.insert(sum(r.key in _PLACE_AND_CALLER for r in why), similar)
        created_at = from_db_text(created)
        return Hit(id=cid, case_no=case_no, external_id=external_id, score=round(c.score, 2),
                   why=why, snippet=snippet, created_at=created_at,
                   age_days=max((now - created_at).total_seconds() / 86400, 0.0),
                   status=status, department=dept, category=cat, title=title, address=address,
                   caller_phone=cphone, repeat_count=repeat)


def _idf(n_docs: float, df: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


@lru_cache(maxsize=2048)
def _doc_terms(doc: str) -> frozenset[str]:
    """A candidate's terms; cached, since the panel asks again with every keystroke."""
    return frozenset(terms_of_normalised(normalise(doc)))


def _subject_cover(tset: frozenset[str], qset: set[str], idf: dict[str, float],
                   fallback: float) -> float:
    """How much of a case's subject (its terms `tset`) the query covers, idf-weighted. A case
    with no subject terms falls back to how much of the whole case the query covers."""
    if not tset:
        return fallback
    whole = sum(idf[t] for t in tset)
    return sum(idf[t] for t in tset & qset) / whole if whole else 0.0


def _e164(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        phone = normalise_phone(raw)
    except PhoneError:
        return ""
    return "" if phone.withheld else phone.e164


def _same_category(query_category: str, case_category: str, norm_text: str) -> bool:
    """The agent chose this category, or the query text names it (e.g. 'Noise - Residential')."""
    theirs = normalise(case_category).strip()
    if not theirs:
        return False
    if query_category:
        return query_category == theirs
    return len(theirs) >= 2 and theirs in norm_text


def _document_frequencies(conn: sqlite3.Connection, terms: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(terms), 500):
        part = terms[i:i + 500]
        out.update(conn.execute(f"SELECT term, df FROM search_term WHERE term IN "
                                f"({','.join('?' * len(part))})", part).fetchall())
    return out


def _choose_terms(qtf: Counter, idf: dict[str, float], df: dict[str, int],
                  n_docs: float) -> list[str]:
    """The query's terms, most specific first, within a budget of postings read: a long
    complaint drops only its most common bigrams (的问, 问题) and stays fast. A term in more than
    a quarter of all cases ("street", 问题) is read only when the query has nothing rarer: it
    costs the most and ranks the least (it still counts in the final text score)."""
    ranked = sorted((t for t in qtf if df.get(t)), key=lambda t: -idf[t])
    common = [t for t in ranked if df[t] > COMMON_SHARE * n_docs]
    if len(common) < len(ranked):
        ranked = [t for t in ranked if df[t] <= COMMON_SHARE * n_docs]
    chosen, read = [], 0
    for t in ranked:
        if len(chosen) >= 8 and read + df[t] > POSTINGS_BUDGET:
            break
        chosen.append(t)
        read += df[t]
    return chosen


def _address_in_text(place: Place, norm_text: str, query_words: str) -> bool:
    """A free-text query that names the case's address (no separate address given)."""
    if not place.number or not place.street:
        return False
    if place.street.isascii():
        return f" {place.number} {place.street} " in query_words
    flat = "".join(norm_text.split())
    at = flat.find(place.street)
    return at >= 0 and flat[at + len(place.street):].startswith(place.number)


def _stage_one(conn: sqlite3.Connection, coef: dict[str, float], boost: dict[str, float],
               must: list[str], keep: int) -> dict[int, float]:
    """Candidates and their text scores: the best `keep` by text (+ street boost), plus every
    case of the `must` terms (the caller's phone, the exact address), newest first."""
    import numpy as np  # here, not at the top: importing models.search stays light

    terms = [*coef, *boost, *must]
    if not terms:
        return {}
    text_docs, text_w, boost_docs, boost_w, must_docs = [], [], [], [], []
    for term, blob, weights in conn.execute(
            f"SELECT term, docs, weights FROM search_postings WHERE term IN "
            f"({','.join('?' * len(terms))})", terms):
        docs = np.frombuffer(blob, dtype=np.uint32)
        if term in coef:
            text_docs.append(docs)
            text_w.append(np.frombuffer(weights, dtype=np.uint8).astype(np.float32) * coef[term])
        elif term in boost:
            boost_docs.append(docs)
            boost_w.append(np.full(len(docs), boost[term], dtype=np.float32))
        else:
            must_docs.append(docs)
    out: dict[int, float] = {}
    if text_docs:
        # One pass over text and street postings together; the street's share is taken back
        # out of the few kept, so that the text score stays pure.
        # Accumulated term by term into one array: concatenating every posting list first
        # would hold them all twice (tens of MB for common bigrams over a million cases).
        top_text = max(int(d.max()) for d in text_docs if len(d))
        top = max([top_text, *(int(d.max()) for d in boost_docs if len(d))])
        total = np.zeros(top + 1, dtype=np.float64)
        for docs, weights in zip(text_docs + boost_docs, text_w + boost_w, strict=True):
            total[docs] += weights  # a posting segment lists each case once
        hit = np.flatnonzero(total[: top_text + 1])
        ranked = total[hit]
        # Newer cases (higher rowid) win ties: a tiny bonus in rowid order.
        ranked = ranked + hit * (1e-9 * float(ranked.max()) / max(int(hit[-1]), 1))
        if len(hit) > keep:
            hit = hit[np.argpartition(ranked, -keep)[-keep:]]
        scores = total[hit]
        if boost_docs:  # one street term: its weight where a kept case is on that street
            street = np.sort(np.concatenate(boost_docs))
            at = np.minimum(np.searchsorted(street, hit), len(street) - 1)
            scores = scores - (street[at] == hit) * float(boost_w[0][0])
        out = dict(zip(hit.tolist(), scores.tolist(), strict=True))
    if must_docs:
        for rowid in np.unique(np.concatenate(must_docs))[-keep:].tolist():
            out.setdefault(rowid, 0.0)
    return out


def _fetch_cases(conn: sqlite3.Connection, rowids: list[int]) -> list[tuple]:
    return conn.execute(_CASE_SQL.format(",".join("?" * len(rowids))), rowids).fetchall()
