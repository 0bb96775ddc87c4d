"""The search index: an inverted index kept in the store's own SQLite file.

Layout (tables made by migration step 4):
- `search_postings(term, docs, weights)`: one row per term per *segment*; `docs` is a packed,
  ascending array of case rowids (uint32), `weights` one byte each: the term's BM25F weight in
  that case (below). A segment is what one indexing pass wrote;
- `search_term(term, df, segments)`: how many cases hold the term, and in how many segments its
  postings lie. A term spread over `MERGE_AT` segments is merged back into one (the partial
  index on `segments` finds them without a scan), so reading a term stays one or a few rows;
  a big import ends with every term in one segment (`merge_crowded(at=2)`: the search reads a
  lone segment as it is);
- `search_state`: the watermark (the highest case rowid indexed), the number of cases, each
  field's total length (BM25F's average lengths), the index's format, and its generation
  (moved on by every write to the index: what a searcher keeps in memory holds for one).

The weight of a term in a case is BM25F's: each field (subject, description, address, places
named in them) counts the term's occurrences, normalised by the field's length against its
average and weighted by the field (`FIELDS`); the sum is saturated (tf / (tf + k1)) and kept as a
byte (255 = the k1 + 1 ceiling).

Staying current:
- filing a case (`file_case_in`) indexes it inside its own transaction (`index_session`);
- an import indexes its rows as it writes them (`Segmenter`, used by `models.importing`): the
  postings of many batches are gathered in numpy arrays and written as one sorted segment per
  term, in the transaction that moves the watermark past them, so that when the import ends
  the index is current and the first search does no catch-up;
- an edit, a timeline step or a pulled update that changes a case's indexed text re-indexes it
  (`reindex`): its rowid leaves the postings of its old terms and joins those of its new ones;
- anything else that added rows without indexing them (a crash in the middle of an import, a
  script) is caught up by `catch_up`, which `SimilarCaseSearch` runs before its first search
  (cheap when nothing is missing: it compares the watermark with max(rowid));
- a change of format (`FORMAT`: tokens or weights) rebuilds the index on its next catch-up.
The doc id is the case table's rowid. VACUUM may renumber those, after which `rebuild`
(`hotline search --rebuild`) is the cure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

from .address import address_key
from .normalise import normalise
from .tokens import bulk_terms, place_groups, strip_boilerplate

FORMAT = 4  # 1: pairs and words over one text; 2: BM25F fields, dictionary words, places;
# 3: + each case's distinct-term count; 4: that count without place terms
DOCLEN_BLOCK = 4096  # case rowids per row of search_doclen
K1 = 1.2
# Fields: (weight, b). The subject (a citizen's 主题, an agent's summary, a 311 request type) is
# a case's densest signal; the places named in its subject and text are strong features of
# their own.
FIELDS = {"title": (2.0, 0.5), "description": (1.0, 0.75), "address": (1.0, 0.5),
          "places": (1.5, 0.3)}
MERGE_AT = 8  # segments per term before they are merged into one (keep in step with migration)
SMALL_BACKLOG = 500  # cases: filing one case indexes at most this many; more is left to catch_up
PULL_BACKLOG = 5_000  # cases: a pulled page (or an edit) indexes at most this many new ones
CHUNK = 20_000  # cases read per step when catching up
# A segment: postings gathered in memory before they are written, 8 bytes each (28 MB). A
# million-row import writes seven, so no term reaches MERGE_AT segments within it (with 1.5
# million, sixteen segments, merging the common terms again and again was a third of its
# index writing).
SEGMENT_POSTINGS = 3_500_000
SEGMENT_RESERVE = SEGMENT_POSTINGS + 600_000  # room for the batch that fills it (a catch-up chunk)
SEGMENT_TERMS = 300_000  # distinct terms gathered before they are written (~30 MB of strings)

# Term prefixes for the non-text signals, so that they ride the same postings.
ADDRESS, STREET, PLACE = "@a:", "@s:", "@w:"

# A case's indexed fields; the notes of its repeat calls only where it has any.
_FIELDS_SQL = ('SELECT rowid, title, description, address, CASE WHEN repeat_count > 0 THEN '
               "(SELECT group_concat(note, '\n') FROM caseevent e WHERE e.case_id = c.id AND "
               "e.kind = 'repeat_call' AND e.note != '') ELSE '' END FROM \"case\" c ")
_DOC_SQL = _FIELDS_SQL + "WHERE rowid > ? ORDER BY rowid LIMIT ?"


@dataclass(frozen=True)
class Doc:
    """What a case is indexed by."""

    rowid: int
    title: str
    description: str
    address: str
    notes: str = ""  # what later callers said (repeat-call notes): part of the description


def title_field(title: str, description: str) -> str:
    """The subject, unless it is only the start of the description (a summary made from it)."""
    head = title.rstrip("…").strip()
    return "" if not head or description.startswith(head) else title


def document_text(title: str, description: str, address: str) -> str:
    """The text a case is found by: subject, description and address (for snippets, ranking)."""
    return "\n".join(p for p in (title_field(title, description), description, address) if p)


def signal_terms(address: str) -> list[str]:
    place = address_key(address)
    out = []
    if place.key:
        out.append(ADDRESS + place.key)
    if place.street:
        out.append(STREET + place.street)
    return out


def prepare(text: str) -> str:
    """A text as both sides tokenise it: normalised, petition boilerplate cut out."""
    return strip_boilerplate(normalise(text))


# --- state --------------------------------------------------------------------------------------
def state(conn: sqlite3.Connection) -> dict[str, float]:
    return {k: float(v) for k, v in conn.execute("SELECT key, value FROM search_state")}


def _set_state(conn: sqlite3.Connection, **values: float) -> None:
    """Set state values; every write to the index ends here, in its transaction, and moves the
    index's `generation` on: what a searcher keeps in memory is valid for one generation."""
    conn.executemany("INSERT INTO search_state (key, value) VALUES (?, ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", list(values.items()))
    conn.execute("INSERT INTO search_state (key, value) VALUES ('generation', 1) "
                 "ON CONFLICT(key) DO UPDATE SET value = value + 1")


def backlog(conn: sqlite3.Connection) -> tuple[int, int]:
    """(watermark, highest case rowid): the index is current when they are equal."""
    row = conn.execute("SELECT (SELECT value FROM search_state WHERE key = 'watermark'), "
                       "(SELECT max(rowid) FROM \"case\")").fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def is_current(conn: sqlite3.Connection) -> bool:
    """Every case indexed, in this format: a search needs no catch-up."""
    watermark, top = backlog(conn)
    fmt = conn.execute("SELECT value FROM search_state WHERE key = 'format'").fetchone()
    return watermark >= top and (top == 0 or (fmt is not None and int(fmt[0]) == FORMAT))


# --- building postings --------------------------------------------------------------------------
@dataclass
class Postings:
    """The postings of a chunk of cases, as arrays (picklable: the import's reading process
    makes them): `doc[i]` (the case's place in the chunk) holds `terms[term[i]]` with weight
    `weight[i]`; `lengths` is each case's length in each field (a row per field of FIELDS)."""

    doc: object  # int32 array
    term: object  # int32 array
    weight: object  # uint8 array
    terms: list[str]
    lengths: object  # float32 array, len(FIELDS) x cases
    distinct: object = None  # uint16 array: each case's number of distinct text terms (no places)


class Tokenizer:
    """Cases to postings, a chunk at a time (`tokens.bulk_terms`: no Python loop per token),
    keeping the running field lengths that BM25F's averages need."""

    def __init__(self, docs: float = 0.0, lengths: dict[str, float] | None = None) -> None:
        self.docs = docs
        self.lengths = dict(lengths or dict.fromkeys(FIELDS, 0.0))

    @classmethod
    def from_state(cls, st: dict[str, float]) -> Tokenizer:
        return cls(st.get("docs", 0.0), {f: st.get("len_" + f, 0.0) for f in FIELDS})

    def __call__(self, docs: Sequence[Doc]) -> Postings:
        return self.columns([d.title for d in docs], [d.description for d in docs],
                            [d.address for d in docs], [d.notes for d in docs])

    def columns(self, titles: list[str], descriptions: list[str], addresses: list[str],
                notes: list[str] | None = None) -> Postings:
        """`__call__` of the docs given as columns (an import's batch: no Doc per row)."""
        import numpy as np

        n = len(descriptions)
        fields = {
            "title": ([title_field(t, d) for t, d in zip(titles, descriptions, strict=True)]
                      if any(titles) else titles),
            "description": ([d + "\n" + e if e else d for d, e in zip(descriptions, notes,
                                                                      strict=True)]
                            if notes and any(notes) else descriptions),
            "address": addresses,
        }
        prepared = {f: _prepare_all(texts) for f, texts in fields.items()}
        # Places named in the subject and the text (the address field's own place is already
        # its address and street terms).
        prepared["places"] = ([t + "\n" + d if t else d
                               for t, d in zip(prepared["title"], prepared["description"],
                                               strict=True)]
                              if any(prepared["title"]) else prepared["description"])
        term_ids: dict[str, int] = {}
        keys, values = [], []
        lengths = np.zeros((len(FIELDS), n), dtype=np.float32)
        self.docs += n
        for k, (field, (weight, b)) in enumerate(FIELDS.items()):
            if field == "places":
                doc_idx, local_ids, local_terms = _place_tokens(prepared[field])
            else:
                doc_idx, local_ids, local_terms = bulk_terms(prepared[field])
            if not len(doc_idx):
                continue
            length = np.bincount(doc_idx, minlength=n).astype(np.float64)
            lengths[k] = length
            self.lengths[field] += float(length.sum())
            avg = max(self.lengths[field] / max(self.docs, 1.0), 1.0)
            gids = _ids_of(term_ids, local_terms)[local_ids]
            uniq, tf = _counted(gids * n + doc_idx)
            norm = 1 - b + b * length[uniq % n] / avg
            keys.append(uniq)
            values.append(weight * tf / norm)
        _signal_postings(fields["address"], term_ids, keys, values)
        doc, term, w = _merged(keys, values, n)
        # Distinct text terms: a place's name variants (阳光小区, 在阳光小区 …) and the address's
        # signal terms are left out, so that they do not make a case look longer than it is.
        is_text = ~np.fromiter(map(str.startswith, term_ids, repeat("@")), dtype=bool,
                               count=len(term_ids))
        distinct = np.bincount(doc[is_text[term]] if len(doc) else doc, minlength=n)
        return Postings(doc, term, w, list(term_ids), lengths,
                        np.minimum(distinct, 65535).astype(np.uint16))


# A posting gathered in memory is one uint64, term id (24 bits) | rowid (32) | weight (8): one
# in-place sort orders a segment by term and rowid, with no permutation array and no copies
# (8 bytes a posting where three arrays and a lexsort took about 30 at the flush).
_TERM_SHIFT, _ROWID_SHIFT = 40, 8


def _pack(term_ids, rowids, weights):
    import numpy as np

    u = np.uint64
    return ((term_ids.astype(u) << u(_TERM_SHIFT)) | (rowids.astype(u) << u(_ROWID_SHIFT))
            | weights.astype(u))


def _unpack(keys):
    """(term ids, rowids, weights) of packed postings."""
    import numpy as np

    u = np.uint64
    return ((keys >> u(_TERM_SHIFT)).astype(np.int64),
            ((keys >> u(_ROWID_SHIFT)) & u(0xFFFFFFFF)).astype(np.uint32),
            (keys & u(0xFF)).astype(np.uint8))


def _unpack_docs(keys):
    """(rowids, weights) of packed postings, taken in place (`keys` is spent): a million-row
    import's segment holds millions, and shifted copies of them were the flush's peak memory."""
    import sys

    import numpy as np

    if sys.byteorder != "little":  # the views below read the low bytes first
        _, rowid, weight = _unpack(keys)
        return rowid, weight
    weight = keys.view(np.uint8)[0::8].copy()  # the low byte of each key
    np.right_shift(keys, np.uint64(_ROWID_SHIFT), out=keys)
    rowid = keys.view(np.uint32)[0::2].copy()  # then the low 32 bits: the rowid
    return rowid, weight


# Each address's signal terms, once per process (addresses repeat across an import: a building
# calls again and again); started over when full (about 2 MB).
SIGNALS_KEPT = 8_192
_SIGNALS: dict[str, list[str]] = {}


def _signal_postings(addresses: list[str], term_ids: dict[str, int], keys: list,
                     values: list) -> None:
    """Append the address and street terms of a chunk's cases (`signal_terms`) to its
    postings, at the weight that saturates (255)."""
    import numpy as np

    n = len(addresses)
    kept, signal = _SIGNALS, dict.fromkeys(addresses)
    for address in signal:
        terms = kept.get(address)
        if terms is None:
            if len(kept) >= SIGNALS_KEPT:
                kept.clear()
            terms = kept[address] = signal_terms(address)
        signal[address] = terms
    per_doc = list(map(signal.__getitem__, addresses))
    names = [t for terms in per_doc for t in terms]
    if names:
        counts = np.fromiter(map(len, per_doc), dtype=np.int64, count=n)
        gids = _ids_of(term_ids, names)
        keys.append(gids * n + np.repeat(np.arange(n, dtype=np.int64), counts))
        values.append(np.full(len(names), 1e9))


def _counted(keys):
    """np.unique(keys, return_counts=True) of non-negative int64 keys, faster: sorted as 32-bit
    integers when they fit (half the time), without np.unique's extra passes."""
    import numpy as np

    ordered = np.sort(keys.astype(np.int32) if keys.max() < 2**31 else keys)
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    at = np.flatnonzero(first)
    return ordered[at].astype(np.int64), np.diff(np.append(at, len(ordered)))


def _merged(keys: list, values: list, n: int):
    """(doc, term, weight) arrays of a chunk: each (term * n + doc) key's field scores summed
    and saturated into a byte. (The keys come as one sorted run per field: a stable sort
    merges them at a fraction of np.unique's cost; the sums are the same, added in the same
    order.)"""
    import numpy as np

    if not keys:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0, np.uint8)
    every = np.concatenate(keys)
    order = np.argsort(every, kind="stable")
    ordered = every[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    uniq = ordered[first]
    inverse = np.empty(len(ordered), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    tfc = np.bincount(inverse, weights=np.concatenate(values))
    w = np.clip(np.rint(255 * tfc / (tfc + K1)), 1, 255).astype(np.uint8)
    return (uniq % n).astype(np.int32), (uniq // n).astype(np.int32), w


def _ids_of(table: dict[str, int], terms: list[str]):
    """The chunk-wide ids of distinct terms, new ones numbered on in their order."""
    import numpy as np

    new = dict.fromkeys([t for t in terms if t not in table])  # (signal terms repeat)
    table.update(zip(new, range(len(table), len(table) + len(new)), strict=True))
    out = list(map(table.__getitem__, terms))
    return np.array(out, dtype=np.int64) if out else np.zeros(0, dtype=np.int64)


class Segmenter:
    """Gathers the postings of many cases and writes them as one segment per term (`flush`,
    inside the caller's write transaction), sorted by term and by rowid."""

    def __init__(self, conn: sqlite3.Connection, *, buffer=None, reserve: int = 0,
                 merge_at: int | None = MERGE_AT) -> None:
        import numpy as np

        self.np = np
        self.conn = conn
        # Terms in this many segments are merged at each flush; None: not here (a bulk import
        # that joins every term's segments at its end: merging in the middle would do part of
        # that work twice, and its peak memory came on top of the helper processes').
        self.merge_at = merge_at
        st = state(conn)
        self.tokenizer = Tokenizer.from_state(st)
        self.docs = st.get("docs", 0.0)
        self.lengths = {f: st.get("len_" + f, 0.0) for f in FIELDS}
        self.term_ids: dict[str, int] = {}
        self.terms: list[str] = []
        # The packed postings (`_pack`) in one array, kept for the next segment: a bulk
        # writer passes the last one's on (`buffer`) or reserves room up front (`reserve`),
        # so that no copy of millions of postings is made while they gather.
        self.buffer = (buffer if buffer is not None
                       else np.empty(reserve, dtype=np.uint64))
        self.rowids: list = []  # rowid arrays of the docs added
        self.distinct: list = []  # their distinct-term counts
        self.postings = 0

    @property
    def pending(self) -> int:
        return sum(len(r) for r in self.rowids)

    @property
    def full(self) -> bool:
        return self.postings >= SEGMENT_POSTINGS or len(self.terms) >= SEGMENT_TERMS

    def add(self, docs: Sequence[Doc]) -> None:
        if docs:
            self.add_postings([d.rowid for d in docs], self.tokenizer(docs))

    def add_postings(self, rowids: Sequence[int], p: Postings, keep=None) -> None:
        """Postings made by a `Tokenizer` for a chunk whose i-th case is `rowids[i]`; `keep`
        (a boolean per case of the chunk) leaves out the cases that were not written."""
        np = self.np
        rowids = np.asarray(rowids, dtype=np.int64)
        doc, term, weight, lengths, distinct = p.doc, p.term, p.weight, p.lengths, p.distinct
        if keep is not None:
            keep = np.asarray(keep, dtype=bool)
            on = keep[doc]
            doc, term, weight = doc[on], term[on], weight[on]
            lengths = lengths[:, keep]
            distinct = distinct[keep]
            where = np.cumsum(keep) - 1  # chunk place -> place among the kept
            doc = where[doc]
        self.distinct.append(distinct)
        self.docs += len(rowids)
        for k, f in enumerate(FIELDS):
            self.lengths[f] += float(lengths[k].sum())
        if len(doc):
            gids = self._global_ids(p.terms)[term]
            self._gather(_pack(gids, rowids[doc], weight))
        self.rowids.append(rowids)

    def release(self) -> None:
        """Give back the buffer's memory (nothing may be pending)."""
        assert not self.postings, "flush first"
        self.buffer = self.np.empty(0, dtype=self.np.uint64)

    @property
    def packed(self):
        """The postings gathered so far, packed (a view of the buffer)."""
        return self.buffer[:self.postings]

    def _gather(self, packed) -> None:
        end = self.postings + len(packed)
        if end > len(self.buffer):
            grown = self.np.empty(max(end, 2 * len(self.buffer)), dtype=self.np.uint64)
            grown[:self.postings] = self.packed
            self.buffer = grown
        self.buffer[self.postings:end] = packed
        self.postings = end

    def _global_ids(self, local_terms: list[str]):
        ids = self.term_ids
        out = []
        for t in local_terms:
            i = ids.get(t)
            if i is None:
                i = ids[t] = len(self.terms)
                self.terms.append(t)
            out.append(i)
        np = self.np
        return np.array(out, dtype=np.int64) if out else np.zeros(0, dtype=np.int64)

    def flush(self, watermark: int | None = None) -> int:
        """Write the gathered postings as one segment (in the caller's transaction), move the
        watermark to `watermark` (default: the highest rowid added) and start over. Returns the
        number of cases written."""
        np = self.np
        conn = self.conn
        n_docs = self.pending
        if self.postings:
            keys = self.packed
            keys.sort()  # by term, then rowid: in place, no permutation to apply
            # Where each term id's postings start (ids are 0..len(terms)-1; an id whose
            # postings were all dropped has an empty range).
            bounds = np.searchsorted(keys, np.arange(len(self.terms) + 1, dtype=np.uint64)
                                     << np.uint64(_TERM_SHIFT)).tolist()
            rowid, weight = _unpack_docs(keys)
            del keys
            terms = self.terms
            groups = sorted((terms[t], bounds[t], bounds[t + 1]) for t in range(len(terms))
                            if bounds[t] < bounds[t + 1])
            conn.executemany(
                "INSERT INTO search_postings (term, docs, weights) VALUES (?, ?, ?)",
                ((t, rowid[a:b].tobytes(), weight[a:b].tobytes()) for t, a, b in groups))
            conn.executemany(
                "INSERT INTO search_term (term, df, segments) VALUES (?, ?, 1) ON CONFLICT(term) "
                "DO UPDATE SET df = df + excluded.df, segments = segments + 1",
                ((t, b - a) for t, a, b in groups))
        if self.rowids:
            write_doclen(conn, np.concatenate(self.rowids), np.concatenate(self.distinct))
        top = max((int(r.max()) for r in self.rowids if len(r)), default=0)
        values = {"docs": self.docs, "format": FORMAT,
                  **{"len_" + f: v for f, v in self.lengths.items()}}
        if watermark is not None or top:
            current = int(state(conn).get("watermark", 0))
            values["watermark"] = max(current, watermark if watermark is not None else top)
        _set_state(conn, **values)
        self.term_ids.clear()
        self.terms.clear()
        self.rowids.clear()
        self.distinct.clear()
        self.postings = 0
        if self.merge_at:
            merge_crowded(conn, self.merge_at)
        return n_docs


def write_doclen(conn: sqlite3.Connection, rowids, counts) -> None:
    """Each case's distinct-term count into its block of search_doclen (read, set, write)."""
    import numpy as np

    if not len(rowids):
        return
    rowids = np.asarray(rowids, dtype=np.int64)
    blocks = rowids // DOCLEN_BLOCK
    for block in np.unique(blocks).tolist():
        row = conn.execute("SELECT counts FROM search_doclen WHERE block = ?", (block,)).fetchone()
        arr = (np.frombuffer(row[0], dtype=np.uint16).copy() if row
               else np.zeros(DOCLEN_BLOCK, dtype=np.uint16))
        on = blocks == block
        arr[rowids[on] % DOCLEN_BLOCK] = counts[on]
        conn.execute("INSERT OR REPLACE INTO search_doclen (block, counts) VALUES (?, ?)",
                     (block, arr.tobytes()))


def read_doclen(conn: sqlite3.Connection, rowids: list[int], arrays: dict | None = None
                ) -> dict[int, int]:
    """Each case's distinct-term count; `arrays`, blocks already read (block -> counts), is
    filled with the ones read here."""
    arrays = {} if arrays is None else arrays
    arrays.update(read_doclen_blocks(conn, sorted({r // DOCLEN_BLOCK for r in rowids}
                                                  - arrays.keys())))
    out = {}
    for r in rowids:
        arr = arrays.get(r // DOCLEN_BLOCK)
        out[r] = int(arr[r % DOCLEN_BLOCK]) if arr is not None else 0
    return out


def read_doclen_blocks(conn: sqlite3.Connection, blocks: list[int]) -> dict:
    """These blocks of search_doclen, as arrays (block -> counts)."""
    import numpy as np

    arrays = {}
    for i in range(0, len(blocks), 500):
        part = blocks[i:i + 500]
        for block, blob in conn.execute(
                f"SELECT block, counts FROM search_doclen WHERE block IN "
                f"({','.join('?' * len(part))})", part):
            arrays[block] = np.frombuffer(blob, dtype=np.uint16)
    return arrays


def _prepare_all(texts: list[str]) -> list[str]:
    """`prepare` of many texts at once (one pass of each step over the joined chunk)."""
    if not any(texts):
        return texts
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text of its own holds a NUL
        joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    joined = prepare(joined)
    out = joined.split("\x00")
    return out if len(out) == len(texts) else [prepare(t) for t in texts]


def _place_tokens(texts: list[str]):
    """Place terms of many texts: one pass of the place patterns over the joined chunk."""
    import numpy as np

    joined = "\x00".join(texts)
    starts, counts, names = [], [], []
    for at, group in place_groups(joined):
        starts.append(at)
        counts.append(len(group))
        names += group
    if not names:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    ids = {t: i for i, t in enumerate(dict.fromkeys(names))}
    term_idx = np.fromiter(map(ids.__getitem__, names), dtype=np.int64, count=len(names))
    if joined.count("\x00") != len(texts) - 1:  # a text of its own has a NUL
        seps = np.flatnonzero(np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32) == 0)
    else:  # the separators' places, from the lengths
        seps = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1) - 1
    doc = np.searchsorted(seps, np.array(starts, dtype=np.int64))
    return np.repeat(doc, counts).astype(np.int64), term_idx, list(ids)


MERGE_CHUNK_POSTINGS = 500_000  # postings merged per step (a few MB): the common terms are big


def merge_crowded(conn: sqlite3.Connection, at: int = MERGE_AT) -> int:
    """Terms in `at` segments or more: their segments become one (sorted by rowid), a few
    statements per step of terms. A bulk import ends with `at=2`: a term in one segment is read
    in one row, and the search's first stage takes a lone segment as it is (its rowids are
    sorted), where several must be joined and sorted in every query (1,000,000 imported cases,
    seven segments a term: mean 6.7-8.6 ms a query against 3.8-5.6 ms merged, p95 12.5-15.0
    against 5.9-8.9). Returns how many terms were merged."""
    where = f"segments >= {int(at)}"
    crowded = conn.execute(f"SELECT term, df FROM search_term WHERE {where}").fetchall()
    step: list[str] = []
    size = 0
    for term, df in crowded:
        step.append(term)
        size += df
        if size >= MERGE_CHUNK_POSTINGS or len(step) >= 500:
            _merge_terms(conn, step)
            step, size = [], 0
    if step:
        _merge_terms(conn, step)
    if crowded and at < MERGE_AT:
        _set_state(conn)  # (within a flush the generation has just moved on)
    return len(crowded)


def _merge_terms(conn: sqlite3.Connection, terms: list[str]) -> None:
    marks = ",".join("?" * len(terms))
    parts: dict[str, list] = {t: [] for t in terms}
    for term, docs, weights in conn.execute(
            f"SELECT term, docs, weights FROM search_postings WHERE term IN ({marks})", terms):
        parts[term].append((docs, weights))
    merged = []
    for term, rows in parts.items():
        merged.append((term, *_joined(rows)))
    conn.execute(f"DELETE FROM search_postings WHERE term IN ({marks})", terms)
    conn.executemany("INSERT INTO search_postings (term, docs, weights) VALUES (?, ?, ?)", merged)
    conn.execute(f"UPDATE search_term SET segments = 1 WHERE term IN ({marks})", terms)


def _joined(rows: list[tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """One segment's (docs, weights) from several. Segments that follow one another in rowid
    (an import's, each written after the last) are joined as they are, in that order; only
    interleaved ones (cases indexed out of order: edits, a catch-up beside an import) are sorted
    again. (A common term of a big import has millions of postings: the sort and its index
    array took 28 bytes a posting, the join 10: the merge's peak memory grew with the commonest
    term's postings almost three times as fast.)"""
    import numpy as np

    runs = [(np.frombuffer(d, dtype=np.uint32), d, w) for d, w in rows if d]
    runs.sort(key=lambda run: int(run[0][0]))  # each segment's rowids ascend
    if all(a[-1] < b[0] for (a, _, _), (b, _, _) in zip(runs, runs[1:], strict=False)):
        return b"".join(d for _, d, _ in runs), b"".join(w for _, _, w in runs)
    docs = np.concatenate([docs for docs, _, _ in runs])
    weights = np.concatenate([np.frombuffer(w, dtype=np.uint8) for _, _, w in runs])
    order = np.argsort(docs, kind="stable")
    return docs[order].tobytes(), weights[order].tobytes()


def _docs(rows: Iterable[tuple]) -> list[Doc]:
    return [Doc(r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or "") for r in rows]


def _gap_docs(conn: sqlite3.Connection, after: int, upto: int, known) -> list[Doc]:
    """Cases in (after, upto] that are not among `known` rowids (sorted): rows other writers
    added in the middle of an import."""
    import numpy as np

    known = np.unique(np.concatenate(known)) if len(known) else np.zeros(0, dtype=np.int64)
    known = known[known > after]
    out: list[Doc] = []
    lo = after
    for k in [*known.tolist(), upto + 1]:
        if k > lo + 1 and lo < upto:
            out += _docs(conn.execute(
                _FIELDS_SQL + "WHERE rowid > ? AND rowid < ? ORDER BY rowid",
                (lo, min(k, upto + 1))))
        lo = max(lo, k)
    return out


def flush_with_gaps(seg: Segmenter, upto: int) -> int:
    """Write what `seg` gathered, with any case in (watermark, upto] it does not hold (other
    writers' rows), and move the watermark to `upto`. In the caller's write transaction."""
    watermark = int(state(seg.conn).get("watermark", 0))
    if watermark:  # someone indexed some of these already: they stay out
        seg_rowids = seg.rowids
        if any(len(r) and int(r.min()) <= watermark for r in seg_rowids):
            return _refilter(seg, watermark, upto)
    gaps = _gap_docs(seg.conn, watermark, upto, seg.rowids)
    seg.add(gaps)
    return seg.flush(upto)


def _refilter(seg: Segmenter, watermark: int, upto: int) -> int:
    """Rare: a concurrent writer indexed part of what `seg` gathered. Drop those postings."""
    kept = seg.packed[_unpack(seg.packed)[1] > watermark]
    seg.postings = 0
    seg._gather(kept)
    seg.rowids = [r[r > watermark] for r in seg.rowids]
    gaps = _gap_docs(seg.conn, watermark, upto, seg.rowids)
    seg.add(gaps)
    return seg.flush(upto)


# --- keeping current ----------------------------------------------------------------------------
def index_new_cases(conn: sqlite3.Connection, *, max_backlog: int | None = SMALL_BACKLOG) -> int:
    """Index every case above the watermark, inside the caller's write transaction.

    Write paths call this just before they commit. A backlog bigger than `max_backlog` (a crash
    in the middle of an import, a store upgraded from before the index) is left to `catch_up`,
    which works through it in chunks, so that filing one case never waits for a million."""
    watermark, top = backlog(conn)
    if top <= watermark or (max_backlog is not None and top - watermark > max_backlog):
        return 0
    if not _format_ok(conn):
        return 0
    seg = Segmenter(conn)
    seg.add(_docs(conn.execute(_DOC_SQL, (watermark, top - watermark))))
    return seg.flush(top)


def _format_ok(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM search_state WHERE key = 'format'").fetchone()
    if row is not None:
        return int(row[0]) == FORMAT
    # No format yet: an empty index (a new store) takes this one; an older index is rebuilt.
    return conn.execute("SELECT count(*) FROM search_postings").fetchone()[0] == 0


def catch_up(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Index the backlog (autocommit connection): read in chunks, written in segments of about
    SEGMENT_POSTINGS postings, each in the transaction that moves the watermark past it.
    An index in an older format is rebuilt first. Returns how many cases were indexed."""
    if not _format_ok(conn):
        clear(conn)
    done = 0
    watermark, top = backlog(conn)
    total = max(top - watermark, 0)
    seg: Segmenter | None = None
    read_to = watermark
    while read_to < top:
        if seg is None:
            seg = Segmenter(conn)
        rows = conn.execute(_DOC_SQL, (read_to, CHUNK)).fetchall()
        if not rows:
            break
        seg.add(_docs(rows))
        read_to = rows[-1][0]
        if seg.full or read_to >= top:
            done += _write(conn, seg, read_to)
            seg = None
        if progress:
            progress(min(done + (seg.pending if seg else 0), total), total)
    if seg is not None and seg.pending:
        done += _write(conn, seg, read_to)
    if backlog(conn)[0] < top:  # the rows above were deleted: nothing left to index there
        conn.execute("BEGIN IMMEDIATE")
        _set_state(conn, watermark=max(top, backlog(conn)[0]), format=FORMAT)
        conn.execute("COMMIT")
    return done


def _write(conn: sqlite3.Connection, seg: Segmenter, upto: int) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = flush_with_gaps(seg, upto)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return n


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for table in ("search_postings", "search_term", "search_doclen"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM search_state WHERE key != 'generation'")  # it only moves on
    _set_state(conn, format=FORMAT)
    conn.execute("COMMIT")


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Drop the index and index every case again (recovery; after VACUUM)."""
    clear(conn)
    return catch_up(conn, progress)


# --- changes to indexed cases -------------------------------------------------------------------
def snapshot(conn: sqlite3.Connection, case_ids: Iterable[str]) -> dict[int, Doc]:
    """The indexed fields of these cases as they are now (before a change)."""
    ids = list(case_ids)
    out: dict[int, Doc] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        for d in _docs(conn.execute(
                _FIELDS_SQL + f"WHERE id IN ({','.join('?' * len(part))})", part)):
            out[d.rowid] = d
    return out


def reindex(conn: sqlite3.Connection, before: dict[int, Doc]) -> int:
    """Re-index the cases of `before` whose indexed fields changed since (inside the caller's
    write transaction): each leaves the postings of its old terms and is indexed again.
    Cases above the watermark are left to the normal catch-up. Returns how many moved."""
    import numpy as np

    if not before or not _format_ok(conn):
        return 0
    watermark = int(state(conn).get("watermark", 0))
    now = snapshot_rowids(conn, [r for r in before if r <= watermark])
    changed = [d for r, d in now.items() if d != before[r]]
    if not changed:
        return 0
    old = [before[d.rowid] for d in changed]
    gone = Segmenter(conn)
    gone.add(old)  # the old postings, as they were made: which terms, and the field lengths
    removed: dict[str, list[int]] = {}
    term_ids, rowids, _w = _unpack(gone.packed)
    for t, r in zip(term_ids.tolist(), rowids.tolist(), strict=True):
        removed.setdefault(gone.terms[t], []).append(r)
    terms = list(removed)
    for i in range(0, len(terms), 500):
        part = terms[i:i + 500]
        rows = conn.execute(f"SELECT id, term, docs, weights FROM search_postings WHERE term IN "
                            f"({','.join('?' * len(part))})", part).fetchall()
        for pid, term, blob, wblob in rows:
            docs = np.frombuffer(blob, dtype=np.uint32)
            drop = np.isin(docs, np.array(removed[term], dtype=np.uint32))
            if not drop.any():
                continue
            if drop.all():
                conn.execute("DELETE FROM search_postings WHERE id = ?", (pid,))
                conn.execute("UPDATE search_term SET segments = segments - 1 WHERE term = ?",
                             (term,))
            else:
                conn.execute("UPDATE search_postings SET docs = ?, weights = ? WHERE id = ?",
                             (docs[~drop].tobytes(),
                              np.frombuffer(wblob, dtype=np.uint8)[~drop].tobytes(), pid))
        conn.executemany("UPDATE search_term SET df = df - ? WHERE term = ?",
                         [(len(removed[t]), t) for t in part])
    conn.execute("DELETE FROM search_term WHERE df <= 0")
    st = state(conn)
    # The old texts' lengths come off the totals; `add` below puts the new ones on.
    fresh = Segmenter(conn)
    fresh.docs = st.get("docs", 0.0) - len(changed)
    fresh.lengths = {f: st.get("len_" + f, 0.0) - (gone.lengths[f] - st.get("len_" + f, 0.0))
                     for f in FIELDS}
    fresh.add(changed)
    fresh.flush(watermark)
    return len(changed)


def snapshot_rowids(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, Doc]:
    out: dict[int, Doc] = {}
    for i in range(0, len(rowids), 500):
        part = rowids[i:i + 500]
        for d in _docs(conn.execute(
                _FIELDS_SQL + f"WHERE rowid IN ({','.join('?' * len(part))})", part)):
            out[d.rowid] = d
    return out


# --- sizes and sessions -------------------------------------------------------------------------
def index_size(conn: sqlite3.Connection) -> int:
    """Bytes the index takes in the store file (needs the dbstat virtual table; else estimated)."""
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('search_postings', 'search_term', "
            "'search_state', 'search_doclen', 'ix_search_postings_term', "
            "'ix_search_term_crowded')").fetchone()
        return int(row[0] or 0)
    except sqlite3.OperationalError:
        row = conn.execute("SELECT sum(length(term) + length(docs) + length(weights)) "
                           "FROM search_postings").fetchone()
        return int(row[0] or 0)


def session_connection(session) -> sqlite3.Connection | None:
    """The sqlite3 connection under a SQLModel session, or None on another database (the
    central server's): only a terminal's local store has the index."""
    dbapi = session.connection().connection.driver_connection
    if not isinstance(dbapi, sqlite3.Connection):
        return None
    has = dbapi.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_state'").fetchone()
    return dbapi if has else None


def index_session(session) -> int:
    """`index_new_cases` on a SQLModel session's connection, inside its transaction."""
    conn = session_connection(session)
    return index_new_cases(conn) if conn is not None else 0


def snapshot_session(session, case_ids: Iterable[str]) -> dict[int, Doc]:
    """`snapshot` on a session (before changing cases); {} where there is no index."""
    conn = session_connection(session)
    return snapshot(conn, case_ids) if conn is not None else {}


def reindex_session(session, before: dict[int, Doc]) -> int:
    """After changing cases in a session: new cases indexed, changed ones re-indexed (call it
    after the session's changes are flushed, before commit)."""
    conn = session_connection(session)
    if conn is None:
        return 0
    session.flush()
    moved = reindex(conn, before)
    index_new_cases(conn, max_backlog=PULL_BACKLOG)
    return moved
