"""The learned routing statistics: compact counts in a SQLite file next to the store.

What history teaches is kept as sums, never as a copy of the cases, so suggestions cost the same
with ten cases or ten million:

- `term`: per model ("category" or "department"), token and label, how many of the label's cases
  hold the token (`df`) and the token's mass in them (`mass`): each case adds its sublinear term
  frequency, 1 + log(tf), divided by the square root of its number of distinct tokens, so a
  long message counts as much as a short one and a word it repeats counts more than one it
  mentions once. Weighted, a label's masses are its centroid; a query is scored by cosine
  against it.
- `token`: per model and token, its document frequency and its weight (IDF times how concentrated
  the token is on few labels: supervised term weighting, which matters with a few hundred cases).
- `label`: cases per label and the centroid's norm under the current weights.
- `outcome`: per category and department, cases assigned, resolved and returned.
- `exact`: per description key (a 64-bit hash of the case's first features), model and label,
  how many past cases said exactly this: a repeated description ("PLUMBING: TOILET") counts
  for what handled it before. One row per distinct description and label, on disk, never in
  memory beyond one flush.

The file is derived data: it records how far into the store's `case` and `caseevent` tables it
has learned (by rowid) and catches up from there, and is rebuilt from scratch when its format or
its store changes. Deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections import Counter, _count_elements, defaultdict  # type: ignore[attr-defined]
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from models.store import sqlite

FILE = "routing.db"
FORMAT = "5"
MODELS = ("category", "department")
TABLES = ("state", "label", "token", "term", "outcome", "exact")
CONCENTRATION_EPS = 0.01  # pseudo-count when measuring how a token spreads over labels
LENGTH_STEP = 1.15  # case lengths are normalised in steps of 15% (cases grouped by step)
_LOG_STEP = math.log(LENGTH_STEP)

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS label (model TEXT, label TEXT, docs INTEGER NOT NULL,
    norm REAL NOT NULL DEFAULT 0, PRIMARY KEY (model, label)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS token (model TEXT, token TEXT, df INTEGER NOT NULL,
    weight REAL NOT NULL DEFAULT 0, PRIMARY KEY (model, token)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS term (model TEXT, token TEXT, label TEXT, df INTEGER NOT NULL,
    mass REAL NOT NULL, PRIMARY KEY (model, token, label)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outcome (category TEXT, department TEXT, assigned INTEGER NOT NULL,
    resolved INTEGER NOT NULL, returned INTEGER NOT NULL,
    PRIMARY KEY (category, department)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exact (key INTEGER, model TEXT, label TEXT, n INTEGER NOT NULL,
    PRIMARY KEY (key, model, label)) WITHOUT ROWID;
"""

Progress = Callable[[int, int], None]  # (cases learned, cases to learn)


def connect(data_dir: Path) -> sqlite3.Connection:
    # Derived data: a crash costs a rebuild, no more; so no fsync, and a large page cache.
    conn = sqlite.connect(Path(data_dir) / FILE, durable=False)
    conn.execute("PRAGMA cache_size = -262144")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(term)")]
    has_exact = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'exact'").fetchone()
    if columns and ("mass" not in columns or not has_exact):  # older: derived data, start over
        conn.executescript("".join(f"DROP TABLE IF EXISTS {t};" for t in TABLES))
    conn.executescript(SCHEMA)
    return conn


def get_state(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_state(conn: sqlite3.Connection, key: str, value: object) -> None:
    conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, str(value)))


def invalidate(data_dir: Path) -> None:
    """The store's cases changed under the statistics (departments remapped): the next
    refresh learns them again from scratch."""
    conn = connect(data_dir)
    try:
        conn.execute("BEGIN IMMEDIATE")
        set_state(conn, "format", "stale")
        conn.execute("COMMIT")
    finally:
        conn.close()


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("COMMIT")


class Accumulator:
    """Counts in memory, written to the file by `flush` (inside the caller's transaction).

    Cases are grouped by their (category, department) pair and their length step: a token seen
    in a thousand street-light cases of about the same length is one counter entry (counted in
    C), split into the two models and scaled by the step's length norm only at flush. A token a
    case repeats adds log(tf) more, kept apart (most tokens occur once in a case).
    """

    def __init__(self) -> None:
        self.slots: dict[tuple[str, str, int], Counter[str]] = {}
        self.repeats: dict[tuple[str, str], dict[str, float]] = {}
        self.docs: Counter[tuple[str, str]] = Counter()
        self.outcomes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.exact: Counter[tuple[int, str, str]] = Counter()
        self.cases = 0

    def add_case(self, features: list[str], category: str, department: str) -> None:
        if not (category or department):
            return
        key = exact_key(features)
        if key is not None:
            if category:
                self.exact[(key, "category", category)] += 1
            if department:
                self.exact[(key, "department", department)] += 1
        # (Counted by the C loop under Counter.update, called directly: a million cases call
        # this twice each, and Counter's own checks cost as much as the counting.)
        counts: dict[str, int] = {}
        _count_elements(counts, features)
        distinct = len(counts)
        step = _length_step(distinct)
        key = (category, department, step)
        counter = self.slots.get(key)
        if counter is None:
            counter = self.slots[key] = Counter()
        _count_elements(counter, counts)  # each distinct token once: its case counts once
        if distinct < len(features):
            extra = self.repeats.get(key[:2])
            if extra is None:
                extra = self.repeats[key[:2]] = {}
            scale = _step_norm(step)
            for token, n in counts.items():
                if n > 1:
                    extra[token] = extra.get(token, 0.0) + math.log(n) * scale
        self.docs[key[:2]] += 1
        self.cases += 1

    def add_outcome(self, category: str, department: str, assigned: int = 0, resolved: int = 0,
                    returned: int = 0) -> None:
        if not department:
            return
        row = self.outcomes[(category, department)]
        row[0] += assigned
        row[1] += resolved
        row[2] += returned

    def size(self) -> int:
        return sum(len(c) for c in self.slots.values()) + len(self.exact)

    def flush(self, conn: sqlite3.Connection) -> None:
        dfs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        masses: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        label_docs: Counter[tuple[str, str]] = Counter()
        for (category, department), n in self.docs.items():
            for model, label in (("category", category), ("department", department)):
                if label:
                    label_docs[(model, label)] += n
        for (category, department, step), counter in self.slots.items():
            scale = _step_norm(step)
            extra = self.repeats.get((category, department), {})
            for model, label in (("category", category), ("department", department)):
                if not label:
                    continue
                dfs[(model, label)].update(counter)
                mass = masses[(model, label)]
                for token, n in counter.items():
                    mass[token] = mass.get(token, 0.0) + n * scale
        for (category, department), extra in self.repeats.items():
            for model, label in (("category", category), ("department", department)):
                if label:
                    mass = masses[(model, label)]
                    for token, value in extra.items():
                        mass[token] += value
        rows = sorted((m, t, lab, n, masses[(m, lab)][t]) for (m, lab), counter in dfs.items()
                      for t, n in counter.items())
        conn.executemany(
            "INSERT INTO term (model, token, label, df, mass) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET df = df + excluded.df, mass = mass + excluded.mass", rows)
        conn.executemany(
            "INSERT INTO label (model, label, docs) VALUES (?, ?, ?) "
            "ON CONFLICT DO UPDATE SET docs = docs + excluded.docs",
            ((m, lab, n) for (m, lab), n in label_docs.items()))
        conn.executemany(
            "INSERT INTO outcome (category, department, assigned, resolved, returned) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET assigned = assigned + excluded.assigned, "
            "resolved = resolved + excluded.resolved, returned = returned + excluded.returned",
            ((c, d, *v) for (c, d), v in self.outcomes.items()))
        conn.executemany(
            "INSERT INTO exact (key, model, label, n) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET n = n + excluded.n",
            sorted((k, m, lab, n) for (k, m, lab), n in self.exact.items()))
        self.__init__()


EXACT_FEATURES = 200  # a description's key: its first features (a long one is cut at learning)


def exact_key(features: list[str]) -> int | None:
    """The key of a description for exact matching: a hash of its first features (so case,
    spacing, punctuation and digits do not matter), or None for an empty one."""
    if not features:
        return None
    digest = hashlib.blake2b("\x1f".join(features[:EXACT_FEATURES]).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def exact_labels(conn: sqlite3.Connection, features: list[str]) -> dict[str, Counter[str]]:
    """model -> label -> past cases whose description had exactly these features."""
    out: dict[str, Counter[str]] = {m: Counter() for m in MODELS}
    key = exact_key(features)
    if key is None:
        return out
    for model, label, n in conn.execute("SELECT model, label, n FROM exact WHERE key = ?", (key,)):
        out.setdefault(model, Counter())[label] += n
    return out


@lru_cache(maxsize=4096)
def _length_step(distinct: int) -> int:
    """The length step of a case with this many distinct tokens."""
    return round(math.log(distinct) / _LOG_STEP) if distinct else 0


def _step_norm(step: int) -> float:
    """1 / sqrt(distinct tokens) for cases of this length step."""
    return LENGTH_STEP ** (-step / 2)


def reweigh(conn: sqlite3.Connection) -> None:
    """Recompute token weights and centroid norms from the counts (one pass over `term`).

    weight = idf × concentration, where concentration = 1 − H(label | token) / log(labels), with
    each label's share taken relative to its size, so a token found in every label weighs ~0 and
    one found in a single label weighs its full IDF.

    Done on whole columns (numpy), not a token at a time: a catch-up reweighs every token, and
    a few thousand Chinese messages filed under hundreds of departments already give 260,000
    (token, label) rows, which took 1.6 s a token at a time (while the router waited).
    """
    import numpy as np

    for model in MODELS:
        docs = label_docs(conn, model)
        if not docs:
            continue
        rows = conn.execute("SELECT token, label, df, mass FROM term WHERE model = ? "
                            "ORDER BY token", (model,)).fetchall()
        conn.execute("DELETE FROM token WHERE model = ?", (model,))
        if not rows:
            continue
        tokens, labels, dfs, masses = zip(*rows, strict=True)
        n = np.array(dfs, dtype=np.float64)
        mass = np.array(masses, dtype=np.float64)
        # Each row's token as a group number (rows come in token order) and its label's index.
        tok = np.array(tokens, dtype=object)
        starts = np.concatenate(([True], tok[1:] != tok[:-1]))
        group = np.cumsum(starts) - 1
        firsts = np.flatnonzero(starts)
        names = list(docs)
        index = {lab: i for i, lab in enumerate(names)}
        lab = np.fromiter((index.get(x, -1) for x in labels), dtype=np.int64, count=len(labels))
        df = np.bincount(group, weights=n, minlength=len(firsts))
        weight = _Spread(docs).weights(group, lab, n, df)
        # Rewritten whole, in key order: far faster than updating a million rows in place.
        conn.executemany("INSERT INTO token (model, token, df, weight) VALUES (?, ?, ?, ?)",
                         zip([model] * len(firsts), tok[firsts].tolist(),
                             df.astype(np.int64).tolist(), weight.tolist(), strict=True))
        known = lab >= 0
        norms = np.bincount(lab[known], weights=(weight[group] * mass)[known] ** 2,
                            minlength=len(names))
        has_rows = np.bincount(lab[known], minlength=len(names)) > 0
        conn.executemany("UPDATE label SET norm = ? WHERE model = ? AND label = ?",
                         ((math.sqrt(v), model, name) for name, v, has in
                          zip(names, norms.tolist(), has_rows.tolist(), strict=True) if has))


class _Spread:
    """How a token's cases spread over the labels, relative to each label's size."""

    def __init__(self, docs: dict[str, int]) -> None:
        import numpy as np

        sizes = list(docs.values())  # in `docs`' order: a row's label index points here
        self.total = sum(sizes)
        eps = CONCENTRATION_EPS
        # Labels without the token still hold a little probability: sum them once, then correct
        # for the labels that have it (entropy = log S − Σ a·log a / S).
        absent = [eps / (n + eps) for n in sizes]
        self.absent_sum = sum(absent)
        self.absent_xlogx = sum(a * math.log(a) for a in absent)
        self.log_labels = math.log(len(docs)) if len(docs) > 1 else 0.0
        self.sizes = np.array(sizes, dtype=np.float64)
        self.absent = np.array(absent, dtype=np.float64)

    def weights(self, group, lab, n, df):
        """Each token's weight, from its rows (`group`: the token's number; `lab`: the label's
        index in `docs`' order, -1 for a label `docs` lacks; `n`: the label's cases holding the
        token) and its cases in all (`df`, by token number)."""
        import numpy as np

        eps = CONCENTRATION_EPS
        groups = len(df)
        idf = np.log((self.total + 1) / (df + 1)) + 1.0
        if not self.log_labels:
            return idf
        known = lab >= 0
        size = np.where(known, self.sizes[np.maximum(lab, 0)], n)  # (an unknown label: its own n)
        a = (n + eps) / (size + eps)
        e = np.where(known, self.absent[np.maximum(lab, 0)], 0.0)
        e_log_e = np.where(e > 0, e * np.log(np.where(e > 0, e, 1.0)), 0.0)
        s = self.absent_sum + np.bincount(group, weights=a - e, minlength=groups)
        xlogx = self.absent_xlogx + np.bincount(group, weights=a * np.log(a) - e_log_e,
                                                minlength=groups)
        entropy = np.log(s) - xlogx / s
        return idf * np.maximum(0.0, 1.0 - entropy / self.log_labels)


def label_docs(conn: sqlite3.Connection, model: str) -> dict[str, int]:
    return dict(conn.execute("SELECT label, docs FROM label WHERE model = ?", (model,)).fetchall())
