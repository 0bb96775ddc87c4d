"""The articles' own search index, in the store's file: never a scan of the articles.

Tables (store step 5):
- `kb_index_term(term, docs, weights)`: one row per term; `docs` a sorted array of document
  numbers (uint32), `weights` one byte each: the term's BM25F weight in that article (its
  fields counted with their boosts, saturated, length-normalised; 255 = the ceiling);
- `kb_index_doc(docno, article_id, version, answers, terms)`: which article a number is, the
  version indexed, how many recorded answers were folded in, and its terms (to take them back
  out when the article changes);
- `kb_index_state`: article count and total length (BM25's average), and two counters: `changes`
  (moved by triggers on every write to the articles or the answers, whoever writes) and
  `indexed` (the `changes` the index has caught up with). A search compares the two, one key
  lookup, and catches up first when they differ.

An article is indexed from its title, tags, short answer, category, the start of its body, and
the questions agents answered with it (`kb_answer`, the latest `MAX_ASKED`): what callers said
becomes part of what finds the article. Its title and tags also give `py:` and `pi:` terms
(`models.kb.text`). Withdrawn articles are taken out.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from models.search.normalise import normalise

from .text import char_terms, initials_terms, pinyin_terms, text_terms

K1, B = 1.2, 0.5
# How much one occurrence of a term counts, by field.
BOOST = {"title": 3.0, "tags": 2.5, "answer": 1.5, "category": 1.0, "asked": 1.0, "body": 0.4,
         "pinyin": 1.0, "initials": 1.0, "chars": 1.0}
BODY_CHARS = 100  # of the body, indexed: its first sentences (the rest cost a fifth of an import, and ranked no better)
MAX_ASKED = 30  # recorded questions per article folded into its entry

_ARTICLE_SQL = ("SELECT id, version, withdrawn, title, tags, answer, category, body "
                "FROM kb_article WHERE id IN ({})")


def document_terms(title: str, tags: list[str], answer: str, category: str, body: str,
                   asked: Iterable[str] = ()) -> tuple[dict[str, float], float]:
    """(weighted term frequencies, weighted length) of one article."""
    tf: dict[str, float] = {}
    get = tf.get
    length = 0.0
    tag_text = " ".join(tags)
    for text, boost in ((title, BOOST["title"]), (tag_text, BOOST["tags"]),
                        (answer, BOOST["answer"]), (category, BOOST["category"]),
                        (body[:BODY_CHARS], BOOST["body"])):
        if not text:
            continue
        found = text_terms(text)
        length += boost * len(found)
        for term in found:
            tf[term] = get(term, 0.0) + boost
    # Not counted in the length: what callers asked, and the sound and initials of the title.
    extra: list[tuple[Iterable[str], float]] = [
        (set(text_terms(q)), BOOST["asked"]) for q in asked]
    head = normalise(f"{title} {tag_text}")
    extra += [(set(pinyin_terms(head)), BOOST["pinyin"]), (char_terms(head), BOOST["chars"]),
              (initials_terms(title), BOOST["initials"])]
    for terms, boost in extra:
        for term in terms:
            tf[term] = get(term, 0.0) + boost
    return tf, length


def _state(conn: sqlite3.Connection) -> dict[str, float]:
    return {k: float(v) for k, v in conn.execute("SELECT key, value FROM kb_index_state")}


def _set_state(conn: sqlite3.Connection, **values: float) -> None:
    conn.executemany("INSERT INTO kb_index_state (key, value) VALUES (?, ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", list(values.items()))


def _asked(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        rows = conn.execute(
            "SELECT article_id, question FROM (SELECT article_id, question, row_number() OVER "
            "(PARTITION BY article_id ORDER BY at DESC) AS n FROM kb_answer WHERE article_id IN "
            f"({','.join('?' * len(part))})) WHERE n <= {MAX_ASKED}", part)
        for article_id, question in rows:
            out[article_id].append(question)
    return out


def _pack(terms: Iterable[str]) -> bytes:
    return zlib.compress("\n".join(terms).encode("utf-8"), 1)


def _unpack(blob: bytes) -> list[str]:
    text = zlib.decompress(blob).decode("utf-8")
    return text.split("\n") if text else []


def update(conn: sqlite3.Connection, article_ids: Iterable[str]) -> int:
    """Bring these articles' entries up to date (added, changed, withdrawn or gone), inside the
    caller's write transaction; returns how many entries changed."""
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return 0
    state = _state(conn)
    asked = _asked(conn, ids)
    old = {article_id: (docno, _unpack(blob), length) for article_id, docno, blob, length
           in _rows_in(conn, "SELECT article_id, docno, terms, length FROM kb_index_doc "
                       "WHERE article_id IN ({})", ids)}
    current = {row[0]: row for row in _rows_in(conn, _ARTICLE_SQL, ids)}
    parsed = _parse_articles(ids, current, asked)
    n_docs, total_len = _totals(ids, old, parsed, state.get("docs", 0.0),
                                state.get("length", 0.0))
    avgdl = max(total_len / n_docs, 1.0) if n_docs > 0 else 1.0
    changed, removals, additions = _write_docs(conn, ids, old, parsed, asked, avgdl)
    _merge_postings(conn, removals, additions)
    _set_state(conn, docs=max(n_docs, 0.0), length=max(total_len, 0.0))
    return changed


def _rows_in(conn: sqlite3.Connection, sql: str, keys: list[str]) -> Iterator[tuple]:
    """The rows of `sql` (its `IN ({})` filled) for these keys, 500 at a time (SQLite's
    limit on bound values)."""
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        yield from conn.execute(sql.format(",".join("?" * len(part))), part)


def _parse_articles(ids: list[str], current: dict[str, tuple],
                    asked: dict[str, list[str]]) -> dict[str, tuple[dict[str, float], float, int]]:
    """(terms, length, version) of each article still in force; withdrawn and gone ones are
    left out (their entries go)."""
    parsed: dict[str, tuple[dict[str, float], float, int]] = {}
    for article_id in ids:
        row = current.get(article_id)
        if row is not None and not row[2]:
            _, version, _, title, tags, answer, category, body = row
            tf, length = document_terms(title, json.loads(tags or "[]"), answer, category, body,
                                        asked.get(article_id, ()))
            parsed[article_id] = (tf, length, version)
    return parsed


def _totals(ids: list[str], old: dict[str, tuple[int, list[str], float]],
            parsed: dict[str, tuple[dict[str, float], float, int]], n_docs: float,
            total_len: float) -> tuple[float, float]:
    """The article count and total length once the batch is in: lengths first, since the
    average length weights every term of the batch. Summed in the batch's order (the float
    totals stay the same bit for bit)."""
    for article_id in ids:
        if article_id in old:
            n_docs -= 1
            total_len -= old[article_id][2]
        if article_id in parsed:
            n_docs += 1
            total_len += parsed[article_id][1]
    return n_docs, total_len


def _write_docs(conn: sqlite3.Connection, ids: list[str],
                old: dict[str, tuple[int, list[str], float]],
                parsed: dict[str, tuple[dict[str, float], float, int]],
                asked: dict[str, list[str]], avgdl: float,
                ) -> tuple[int, dict[str, list[int]], dict[str, tuple[array, bytearray]]]:
    """Write each entry's row in kb_index_doc, and gather the postings to take out (by term,
    document numbers) and to add (by term, numbers and weight bytes)."""
    removals: dict[str, list[int]] = defaultdict(list)
    additions: dict[str, tuple[array, bytearray]] = {}
    weight_of: dict[tuple[float, float], int] = {}  # (tf, length norm) -> weight byte
    changed = 0
    # Entries that keep their number first, in number order, then new ones (numbered as they
    # come): each term's additions are then in ascending order.
    ordered = sorted(ids, key=lambda i: old[i][0] if i in old else float("inf"))
    for article_id in ordered:
        before = old.get(article_id)
        if before is not None:
            for term in before[1]:
                removals[term].append(before[0])
        after = parsed.get(article_id)
        if after is None:
            if before is not None:
                conn.execute("DELETE FROM kb_index_doc WHERE docno = ?", (before[0],))
                changed += 1
            continue
        tf, length, version = after
        answers = len(asked.get(article_id, ()))
        if before is None:
            docno = conn.execute(
                "INSERT INTO kb_index_doc (article_id, version, answers, terms, length) "
                "VALUES (?, ?, ?, ?, ?)",
                (article_id, version, answers, _pack(tf), length)).lastrowid
        else:
            docno = before[0]
            conn.execute("UPDATE kb_index_doc SET version = ?, answers = ?, terms = ?, "
                         "length = ? WHERE docno = ?",
                         (version, answers, _pack(tf), length, docno))
        norm = K1 * (1 - B + B * length / avgdl)
        for term, f in tf.items():
            w = weight_of.get((f, norm))
            if w is None:
                w = weight_of[(f, norm)] = max(1, min(255, round(255 * f / (f + norm))))
            entry = additions.get(term)
            if entry is None:
                additions[term] = (array("I", (docno,)), bytearray((w,)))
            else:
                entry[0].append(docno)
                entry[1].append(w)
        changed += 1
    return changed, removals, additions


def _merge_postings(conn: sqlite3.Connection, removals: dict[str, list[int]],
                    additions: dict[str, tuple[array, bytearray]]) -> None:
    """Fold the batch's removals and additions into each touched term's row (a row left
    empty is deleted)."""
    import numpy as np

    touched = list(removals.keys() | additions.keys())
    existing = {term: (docs, weights) for term, docs, weights in _rows_in(
        conn, "SELECT term, docs, weights FROM kb_index_term WHERE term IN ({})", touched)}
    writes, deletes = [], []
    for term in touched:
        old_docs, old_weights = existing.get(term, (b"", b""))
        new = additions.get(term)
        gone = removals.get(term)
        if not gone and (not old_docs or new[0][0] > _last(old_docs)):  # appended in order
            writes.append((term, old_docs + new[0].tobytes(), old_weights + bytes(new[1])))
            continue
        docs = np.frombuffer(old_docs, dtype=np.uint32)
        weights = np.frombuffer(old_weights, dtype=np.uint8)
        if gone:
            keep = ~np.isin(docs, np.asarray(gone, dtype=np.uint32))
            docs, weights = docs[keep], weights[keep]
        if new:
            docs = np.concatenate([docs, np.frombuffer(new[0].tobytes(), dtype=np.uint32)])
            weights = np.concatenate([weights, np.frombuffer(bytes(new[1]), dtype=np.uint8)])
            order = np.argsort(docs, kind="stable")
            docs, weights = docs[order], weights[order]
        if len(docs):
            writes.append((term, docs.tobytes(), weights.tobytes()))
        elif term in existing:
            deletes.append((term,))
    conn.executemany("INSERT INTO kb_index_term (term, docs, weights) VALUES (?, ?, ?) "
                     "ON CONFLICT(term) DO UPDATE SET docs = excluded.docs, "
                     "weights = excluded.weights", writes)
    conn.executemany("DELETE FROM kb_index_term WHERE term = ?", deletes)


def _last(docs: bytes) -> int:
    return array("I", docs[-4:])[0]


def mark_indexed(conn: sqlite3.Connection) -> None:
    """The index has caught up with every write so far (inside the writer's transaction)."""
    conn.execute("UPDATE kb_index_state SET value = (SELECT value FROM kb_index_state "
                 "WHERE key = 'changes') WHERE key = 'indexed'")


def is_current(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT (SELECT value FROM kb_index_state WHERE key = 'changes'), "
                       "(SELECT value FROM kb_index_state WHERE key = 'indexed')").fetchone()
    return row[0] == row[1]


_STALE_SQL = f"""
SELECT a.id FROM kb_article a LEFT JOIN kb_index_doc d ON d.article_id = a.id
 WHERE (NOT a.withdrawn AND (d.docno IS NULL OR d.version != a.version
        OR d.answers != min((SELECT count(*) FROM kb_answer k WHERE k.article_id = a.id), {MAX_ASKED})))
    OR (a.withdrawn AND d.docno IS NOT NULL)
UNION
SELECT d.article_id FROM kb_index_doc d LEFT JOIN kb_article a ON a.id = d.article_id
 WHERE a.id IS NULL
"""


def catch_up_in(conn: sqlite3.Connection) -> int:
    """Inside the caller's write transaction: index whatever is stale, and mark the index
    current."""
    if is_current(conn):
        return 0
    done = update(conn, [r[0] for r in conn.execute(_STALE_SQL)])
    mark_indexed(conn)
    return done


def catch_up(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None,
             chunk: int = 2_000) -> int:
    """Index whatever was written without being indexed (a sync pull, a script, a store from
    before); on an autocommit connection, in transactions of `chunk` articles."""
    if is_current(conn):
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        stale = [r[0] for r in conn.execute(_STALE_SQL)]
        done = 0
        for i in range(0, len(stale), chunk):
            done += update(conn, stale[i:i + chunk])
            if progress:
                progress(min(i + chunk, len(stale)), len(stale))
        mark_indexed(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return done


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Drop the index and index every article again (recovery)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in ("kb_index_term", "kb_index_doc"):
            conn.execute(f"DELETE FROM {table}")
        _set_state(conn, docs=0, length=0, indexed=-1)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return catch_up(conn, progress)
