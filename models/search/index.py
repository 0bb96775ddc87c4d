"""The search index: an inverted index kept in the store's own SQLite file.

Layout (tables made by migration step 4):
- `search_postings(term, docs, weights)`: one row per term per *segment*; `docs` is a packed
  array of case rowids (uint32), `weights` one byte each, the BM25 term-frequency factor of
  that term in that case (quantised). Each indexing pass adds one segment per term it saw;
- `search_term(term, df, segments)`: how many cases hold the term, and in how many segments its
  postings lie. A term spread over too many small segments is merged back into one (the partial
  index on `segments` finds them without a scan), so a case filed one at a time costs a few
  small rows and reading a term stays one or a few rows however it was written;
- `search_state`: the watermark (the highest case rowid indexed), the case count and the total
  term count (BM25's average length).

Staying current, by a watermark (the highest case rowid indexed):
- filing a case (`file_case_in`) indexes it inside its own transaction (`index_session`): it
  is findable as soon as it commits;
- a bulk import does not index as it goes (tokenising in Python would halve its speed): the
  `hotline import` command catches up right after, with a progress bar, and whatever else added
  cases without indexing them (a sync pull, a script) is caught up by the next search, which
  first compares the watermark with the case table's max(rowid) (cheap when nothing is new);
- the doc id is the case table's rowid. VACUUM may renumber those, after which `rebuild`
  (`hotline search --rebuild`) is the cure.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable, Iterable

from .address import address_key
from .normalise import normalise, terms_of_normalised

K1, B = 1.2, 0.75
MERGE_AT = 8  # segments per term before they are merged into one (keep in step with migration)
SMALL_BACKLOG = 500  # cases: filing one case indexes at most this many; more is left to catch_up
CHUNK = 5_000  # cases indexed per pass when catching up

# Term prefixes for the non-text signals, so that they ride the same postings.
PHONE, ADDRESS, STREET = "@p:", "@a:", "@s:"

_DOC_SQL = 'SELECT rowid, title, description, address, caller_phone FROM "case" WHERE rowid > ? ORDER BY rowid LIMIT ?'


def document_text(title: str, description: str, address: str) -> str:
    """The text a case is found by: subject, description and address (for free-text queries)."""
    parts = [description]
    head = title.rstrip("…")
    if head and not description.startswith(head):
        parts.insert(0, title)
    if address:
        parts.append(address)
    return "\n".join(parts)


def signal_terms(address: str, phone: str) -> list[str]:
    out = []
    if phone:
        out.append(PHONE + phone)
    place = address_key(address)
    if place.key:
        out.append(ADDRESS + place.key)
    if place.street:
        out.append(STREET + place.street)
    return out


def _state(conn: sqlite3.Connection) -> dict[str, float]:
    return {k: v for k, v in conn.execute("SELECT key, value FROM search_state")}


def _set_state(conn: sqlite3.Connection, **values: float) -> None:
    conn.executemany("INSERT INTO search_state (key, value) VALUES (?, ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", list(values.items()))


def backlog(conn: sqlite3.Connection) -> tuple[int, int]:
    """(watermark, highest case rowid): the index is current when they are equal."""
    row = conn.execute("SELECT (SELECT value FROM search_state WHERE key = 'watermark'), "
                       "(SELECT max(rowid) FROM \"case\")").fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def _add_documents(conn: sqlite3.Connection, rows: Iterable[tuple], state: dict[str, float]) -> int:
    """Index `rows` (rowid, title, description, address, phone) as one new segment per term."""
    parsed = []
    total_len = 0
    for rowid, title, description, address, phone in rows:
        tf = Counter(terms_of_normalised(normalise(document_text(title, description, address))))
        length = sum(tf.values())
        total_len += length
        parsed.append((rowid, tf, length, signal_terms(address, phone)))
    if not parsed:
        return 0
    if len(parsed) > 1000:  # a bulk pass: room for the term B-trees it updates all over
        conn.execute("PRAGMA cache_size = -32768")
    n_docs = state.get("docs", 0) + len(parsed)
    sum_len = state.get("length", 0) + total_len
    avgdl = max(sum_len / n_docs, 1.0)
    postings: dict[str, tuple[array, bytearray]] = {}
    weight_of: dict[tuple[int, int], int] = {}  # (tf, length) -> weight byte: few distinct pairs
    for rowid, tf, length, signals in parsed:
        for term, f in tf.items():
            w = weight_of.get((f, length))
            if w is None:
                w = weight_of[(f, length)] = _weight(f, length, avgdl)
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("I"), bytearray())
            entry[0].append(rowid)
            entry[1].append(w)
        for term in signals:
            if term not in tf:
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = (array("I"), bytearray())
                entry[0].append(rowid)
                entry[1].append(255)
    conn.executemany("INSERT INTO search_postings (term, docs, weights) VALUES (?, ?, ?)",
                     [(t, d.tobytes(), bytes(w)) for t, (d, w) in postings.items()])
    conn.executemany(
        "INSERT INTO search_term (term, df, segments) VALUES (?, ?, 1) ON CONFLICT(term) "
        "DO UPDATE SET df = df + excluded.df, segments = segments + 1",
        [(t, len(d)) for t, (d, _) in postings.items()])
    state.update(docs=n_docs, length=sum_len, watermark=max(state.get("watermark", 0), parsed[-1][0]))
    _set_state(conn, **state)
    _merge_crowded(conn)
    return len(parsed)


def _weight(tf: int, length: int, avgdl: float) -> int:
    """BM25's term-frequency factor, scaled to a byte (255 = the k1 + 1 ceiling)."""
    norm = K1 * (1 - B + B * length / avgdl)
    return max(1, min(255, round(255 * tf / (tf + norm))))


def _merge_crowded(conn: sqlite3.Connection) -> None:
    crowded = [t for (t,) in conn.execute(
        f"SELECT term FROM search_term WHERE segments >= {MERGE_AT}")]
    for term in crowded:
        rows = conn.execute("SELECT docs, weights FROM search_postings WHERE term = ?",
                            (term,)).fetchall()
        conn.execute("DELETE FROM search_postings WHERE term = ?", (term,))
        conn.execute("INSERT INTO search_postings (term, docs, weights) VALUES (?, ?, ?)",
                     (term, b"".join(r[0] for r in rows), b"".join(r[1] for r in rows)))
        conn.execute("UPDATE search_term SET segments = 1 WHERE term = ?", (term,))


def index_new_cases(conn: sqlite3.Connection, *, max_backlog: int | None = SMALL_BACKLOG) -> int:
    """Index every case above the watermark, inside the caller's write transaction.

    Write paths call this just before they commit. A backlog bigger than `max_backlog` (right
    after a big import, or a store upgraded from before the index) is left to `catch_up`, which
    works through it in chunks, so that filing one case never waits for a million."""
    watermark, top = backlog(conn)
    if top <= watermark or (max_backlog is not None and top - watermark > max_backlog):
        return 0
    state = _state(conn)
    rows = conn.execute(_DOC_SQL, (watermark, top - watermark)).fetchall()
    return _add_documents(conn, rows, state)


def catch_up(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Index the backlog in transactions of CHUNK cases (autocommit connection); returns count."""
    done = 0
    watermark, top = backlog(conn)
    total = max(top - watermark, 0)
    while watermark < top:
        conn.execute("BEGIN IMMEDIATE")
        try:
            state = _state(conn)
            watermark = int(state.get("watermark", 0))
            rows = conn.execute(_DOC_SQL, (watermark, CHUNK)).fetchall()
            done += _add_documents(conn, rows, state)
            if not rows:
                _set_state(conn, watermark=top)  # rowids above were deleted: nothing to index
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        watermark, top = backlog(conn)
        if progress:
            progress(min(done, total), total)
    return done


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for table in ("search_postings", "search_term", "search_state"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("COMMIT")


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Drop the index and index every case again (recovery; after VACUUM)."""
    clear(conn)
    return catch_up(conn, progress)


def index_size(conn: sqlite3.Connection) -> int:
    """Bytes the index takes in the store file (needs the dbstat virtual table; else estimated)."""
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('search_postings', 'search_term', "
            "'search_state', 'ix_search_postings_term', 'ix_search_term_crowded')").fetchone()
        return int(row[0] or 0)
    except sqlite3.OperationalError:
        row = conn.execute("SELECT sum(length(term) + length(docs) + length(weights)) "
                           "FROM search_postings").fetchone()
        return int(row[0] or 0)


def index_session(session) -> int:
    """`index_new_cases` on a SQLModel session's connection, inside its transaction.

    Only a terminal's local store has the index: on another database (the central server's),
    this does nothing."""
    dbapi = session.connection().connection.driver_connection
    if not isinstance(dbapi, sqlite3.Connection):
        return 0
    try:
        return index_new_cases(dbapi)
    except sqlite3.OperationalError as exc:
        if "no such table: search_" in str(exc):
            return 0
        raise
