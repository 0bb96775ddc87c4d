"""Routing accuracy on the real data in ../shared/data/real/, next to a nearest-neighbour baseline.

    python benchmarks/eval_routing.py [--history 0.7] [--tune 0.15] [--fit]

Each file is imported with its mapping into a fresh store; cases are ordered by created time and
split three ways: the earliest 70 % are history (the store keeps only them), the next 15 % are
the tuning split, the latest 15 % are held out. The engine learns from the history only. Its
nearest past cases come from the project's similar-case search over the history (text only, 10
cases), as the intake screen asks for them. The baseline is a plain vote of the 10 nearest history
cases found by SQLite FTS5 (trigram tokenizer) BM25 over title and description. Both are scored
on both splits in the same run; the weights in models/routing/engine.py were chosen on the tuning
splits only (`--fit` runs that search again and prints what it would choose), so the held-out
rows are the figures to quote. Top-1 and top-3 accuracy, side by side:

- department: NYC `Agency`, LA `Owner`, and the Chinese messages' handling agency where the
  reply names one (compared as the agency's kind, without its place prefix: A7县教育局 → 教育局);
- category: NYC `Complaint Type`, LA `RequestType`, and for the Chinese messages a top-level
  category derived from the agency that answered (教育局 → 教育文体 ...), since the file has no
  category column: a few hundred labelled messages, like a city's first months of history.

The NYC files are asked twice: as they are, and with the complaint type left out of the text
(their descriptions start with it, which a caller's words do not).
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "real"

from models.importing.importer import import_csv  # noqa: E402
from models.reference.catalogue import ensure_catalogue  # noqa: E402
from models.reference.pending import accept_all  # noqa: E402
from models.routing import Router, engine  # noqa: E402
from models.routing.engine import Neighbour  # noqa: E402
from models.search import index as search_index  # noqa: E402
from models.search.engine import Query, SimilarCaseSearch  # noqa: E402
from models.store import open_store  # noqa: E402

K = 10
MAX_TRIGRAMS = 200

_PLACE = re.compile(r"^(?:[A-Z]\d*[市区县]|[市区县省])+")
# Top-level categories of Chinese government message boards, by the agency that answered.
AGENCY_CATEGORY = (
    ("教育文体", ("教育", "体育", "文体", "学校")),
    ("劳动和社会保障", ("人社", "人力资源", "社保", "社会保障", "劳动", "医保", "公积金")),
    ("卫生计生", ("卫生", "卫健", "计生", "医院", "疾控")),
    ("交通运输", ("交通", "交警", "公路", "轨道", "公交", "运输")),
    ("环境保护", ("环保", "环境", "生态")),
    ("城乡建设", ("住建", "住房", "城管", "规划", "房产", "国土", "自然资源", "不动产", "城乡建设",
                  "城市管理")),
    ("商贸旅游", ("市场监", "商务", "工商", "旅游", "物价", "食药", "食安", "质监")),
)


def agency_kind(name: str) -> str:
    return _PLACE.sub("", name.strip())


def agency_category(name: str) -> str:
    return next((cat for cat, keys in AGENCY_CATEGORY if any(k in name for k in keys)), "")


def load(file: str, tmp: Path):
    """Import a file; returns (store, cases oldest first as dicts)."""
    store = open_store(tmp / file.replace(".csv", ""))
    with store.writer() as s:
        ensure_catalogue(s)
    import_csv(store, REAL / file)
    accept_all(store)  # a lead accepts the names the catalogue does not know (each its own body)
    with store.raw() as conn:
        rows = conn.execute(
            'SELECT c.rowid, c.created_at, c.title, c.description, c.address, c.category, '
            'coalesce(nullif(d.name_zh, \'\'), nullif(d.name_en, \'\'), c.lead_department) '
            'FROM "case" c LEFT JOIN department d ON d.code = c.lead_department '
            'ORDER BY c.created_at, c.rowid').fetchall()
    cases = [dict(rowid=r[0], created=r[1], title=r[2], description=r[3], address=r[4],
                  category=r[5], department=r[6] or "") for r in rows]
    return store, cases


GRID_KNN = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
GRID_EXACT = (0.0, 1.0, 2.0, 4.0, 8.0)
GRID_SHRINK = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)  # engine.CAT_SHRINK_DOCS
GRID_OFF_CATEGORY = (0.0, 0.25, 0.5, 1.0)  # engine.KNN_OFF_CATEGORY (1.0: the plain vote)
TUNE_MAX = 600  # tuning questions per set when fitting (the larger sets are subsampled evenly)


def split(store, cases: list[dict], history: float, tune: float, relabel=None):
    """Keep the earliest `history` share in the store (delete the rest, re-index the search);
    returns (history, tuning, held out), each oldest first."""
    cut1, cut2 = int(len(cases) * history), int(len(cases) * (history + tune))
    train, tuning, held = cases[:cut1], cases[cut1:cut2], cases[cut2:]
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany('DELETE FROM "case" WHERE rowid = ?',
                         [(c["rowid"],) for c in tuning + held])
        if relabel:
            conn.executemany('UPDATE "case" SET category = ? WHERE rowid = ?',
                             [(relabel(c), c["rowid"]) for c in train])
        conn.execute("COMMIT")
        search_index.rebuild(conn)
    return train, tuning, held


def baseline(store, train: list[dict]):
    """FTS5 trigram BM25 over the history; a question's answer is the vote of its 10 nearest."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(title, description, tokenize='trigram')")
    conn.executemany("INSERT INTO f (rowid, title, description) VALUES (?, ?, ?)",
                     [(i, c["title"], c["description"]) for i, c in enumerate(train)])

    def vote(text: str, key) -> list[str]:
        grams: dict[str, None] = {}
        for part in text.lower().split():
            for i in range(len(part) - 2):
                gram = part[i:i + 3]
                if '"' not in gram:
                    grams[gram] = None
        if not grams:
            return []
        expr = " OR ".join(f'"{g}"' for g in list(grams)[:MAX_TRIGRAMS])
        hits = conn.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT ?",
                            (expr, K)).fetchall()
        votes = Counter(key(train[i]) for (i,) in hits if key(train[i]))
        return [label for label, _ in votes.most_common(3)]

    return vote


def accuracy(pairs: list[tuple[list[str], str]]) -> tuple[float, float]:
    n = len(pairs) or 1
    top1 = sum(1 for pred, truth in pairs if pred[:1] == [truth]) / n
    top3 = sum(1 for pred, truth in pairs if truth in pred[:3]) / n
    return top1, top3


def question_text(c: dict) -> str:
    return f"{c['title']} {c['description']}" if c["title"] and \
        not c["description"].startswith(c["title"]) else c["description"]


def without_type(c: dict) -> str:
    """The question without its leading complaint type: the NYC files' descriptions start with
    the category itself ("Noise - Residential: Loud Music/Party: Residential Building/House",
    category Noise), which a caller's words do not; the descriptor and the place remain."""
    text = question_text(c)
    _, sep, rest = text.partition(": ")
    return rest if sep and rest else text


class DataSet:
    """One real file: its store of history, the questions of both splits, their neighbours."""

    def __init__(self, name: str, file: str, tmp: Path, history: float, tune: float, zh: bool,
                 text=question_text):
        self.name, self.zh, self.text = name, zh, text
        store, cases = load(file, tmp)
        relabel = (lambda c: agency_category(c["department"])) if zh else None
        self.truth = {
            "department": (lambda c: agency_kind(c["department"])) if zh else (lambda c: c["department"]),
            "category": (lambda c: agency_category(c["department"])) if zh else (lambda c: c["category"]),
        }
        self.train, tuning, held = split(store, cases, history, tune, relabel)
        self.splits = {"tuning": tuning, "held out": held}
        self.store = store
        self.router = Router.for_store(store)
        t = time.perf_counter()
        self.router.refresh()
        self.learn_s = time.perf_counter() - t
        self.vote = baseline(store, self.train)
        search = SimilarCaseSearch(store)
        names = {d.code: self.router.catalogue.department_name(d.code, "zh" if zh else "en")
                 for d in self.router.catalogue.departments.values()}
        self.names = names
        self.near: dict[int, list[Neighbour]] = {}
        self.search_ms: list[float] = []
        for c in tuning + held:
            t = time.perf_counter()
            hits = search.search(Query(text=self.text(c)), limit=K)
            self.search_ms.append((time.perf_counter() - t) * 1000)
            self.near[c["rowid"]] = Neighbour.from_hits(hits)
        search.close()

    def asked(self, split: str, what: str, cap: int | None = None) -> list[dict]:
        rows = [c for c in self.splits[split] if self.truth[what](c)]
        if cap and len(rows) > cap:
            step = len(rows) / cap
            rows = [rows[int(i * step)] for i in range(cap)]
        return rows

    def ours(self, c: dict, timing: list[float] | None = None):
        t = time.perf_counter()
        s = self.router.suggest(self.text(c), address=c["address"],
                                lang="zh" if self.zh else "en", neighbours=self.near[c["rowid"]],
                                limit=10 if self.zh else 5)
        if timing is not None:
            timing.append((time.perf_counter() - t) * 1000)
        # Compared as the truth is (the Chinese: the agency's kind, A7县教育局 -> 教育局): the
        # suggestions' scores add up per kind, as the baseline's votes do.
        kinds: dict[str, float] = {}
        for d in s.departments:
            kind = self.truth["department"]({"department": d.name})
            kinds[kind] = kinds.get(kind, 0.0) + d.score
        depts = sorted(kinds, key=lambda k: -kinds[k])
        cats = [x.category for x in s.categories]
        return {"department": depts, "category": cats}

    def score(self, split: str, cap: int | None = None, timing: list[float] | None = None,
              whats: tuple[str, ...] = ("department", "category"), with_baseline: bool = True):
        """(what, asked, ours top-1, top-3, baseline top-1, top-3) for each label."""
        out = []
        for what in whats:
            asked = self.asked(split, what, cap)
            if not asked:
                continue
            truth = self.truth[what]
            label_of = truth if not self.zh or what == "department" else (
                lambda h: agency_category(h["department"]))
            ours, base = [], []
            for c in asked:
                ours.append((self.ours(c, timing)[what], truth(c)))
                if with_baseline:
                    base.append((self.vote(self.text(c), label_of), truth(c)))
            out.append((what, len(asked), *accuracy(ours), *accuracy(base)))
        return out

    def close(self) -> None:
        self.router.close()
        self.store.close()


def set_weights(knn_dept: float, exact_dept: float, knn_cat: float, exact_cat: float,
                shrink_cat: float | None = None, off_category: float | None = None) -> None:
    engine.W_KNN_DEPT, engine.W_EXACT_DEPT = knn_dept, exact_dept
    engine.W_KNN_CAT, engine.W_EXACT_CAT = knn_cat, exact_cat
    if shrink_cat is not None:
        engine.CAT_SHRINK_DOCS = shrink_cat
    if off_category is not None:
        engine.KNN_OFF_CATEGORY = off_category


def tuning_top1(sets: list[DataSet], what: str) -> float:
    """Mean over the sets of top-1 on their tuning splits (each set counts the same)."""
    values = [row[2] for ds in sets
              for row in ds.score("tuning", TUNE_MAX, whats=(what,), with_baseline=False)]
    return sum(values) / len(values)


def fit(sets: list[DataSet]) -> tuple[float, float, float, float, float, float]:
    """Grid search on the tuning splits only: the small categories' weighting with the
    weights as they stand, then the categories' vote and exact matches, then departments',
    then how much a neighbour of an unlikely category votes for departments."""
    start = (engine.W_KNN_DEPT, engine.W_EXACT_DEPT)
    start_cat = (engine.W_KNN_CAT, engine.W_EXACT_CAT)
    best_shrink = max((tuning_top1_with(sets, "category", *start, *start_cat, shrink), -shrink)
                      for shrink in GRID_SHRINK)
    shrink = -best_shrink[1]  # (ties go to the smaller weighting)
    print(f"  categories: shrink {shrink} -> tuning top-1 {best_shrink[0]:.3f}",
          file=sys.stderr, flush=True)
    best_cat = max((tuning_top1_with(sets, "category", *start, k, e, shrink), k, e)
                    for k in GRID_KNN for e in GRID_EXACT)
    print(f"  categories: knn {best_cat[1]}, exact {best_cat[2]} -> tuning top-1 "
          f"{best_cat[0]:.3f}", file=sys.stderr, flush=True)
    best_dept = max((tuning_top1_with(sets, "department", k, e, best_cat[1], best_cat[2],
                                      shrink), k, e)
                     for k in GRID_KNN for e in GRID_EXACT)
    print(f"  departments: knn {best_dept[1]}, exact {best_dept[2]} -> tuning top-1 "
          f"{best_dept[0]:.3f}", file=sys.stderr, flush=True)
    best_off = max((tuning_top1_with(sets, "department", best_dept[1], best_dept[2], best_cat[1],
                                     best_cat[2], shrink, off), off)  # (ties: the plainer vote)
                   for off in GRID_OFF_CATEGORY)
    print(f"  departments: a neighbour of an unlikely category votes {best_off[1]} -> tuning "
          f"top-1 {best_off[0]:.3f}", file=sys.stderr, flush=True)
    return best_dept[1], best_dept[2], best_cat[1], best_cat[2], shrink, best_off[1]


GRID_NAMED_DEPT = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0)
GRID_NAMED_CAT = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8)


def grid_named(sets: list[DataSet]) -> None:
    """The tuning splits' top-1 over the weights of a department the text names (for itself,
    and for the categories history filed under it), the other weights as they stand. Printed,
    not set: `engine.W_NAMED_DEPT` and `W_NAMED_CAT` say which were chosen and why."""
    start = (engine.W_NAMED_DEPT, engine.W_NAMED_CAT)
    for what, name, grid in (("department", "W_NAMED_DEPT", GRID_NAMED_DEPT),
                             ("category", "W_NAMED_CAT", GRID_NAMED_CAT)):
        for w in grid:
            setattr(engine, name, w)
            per_set = {ds.name: row[2] for ds in sets
                       for row in ds.score("tuning", TUNE_MAX, whats=(what,), with_baseline=False)}
            print(f"  {name} {w}: tuning top-1 mean {sum(per_set.values()) / len(per_set):.4f}; "
                  + ", ".join(f"{k} {v:.3f}" for k, v in per_set.items()), flush=True)
        engine.W_NAMED_DEPT, engine.W_NAMED_CAT = start


def tuning_top1_with(sets, what, knn_dept, exact_dept, knn_cat, exact_cat,
                     shrink_cat=None, off_category=None) -> float:
    set_weights(knn_dept, exact_dept, knn_cat, exact_cat, shrink_cat, off_category)
    return tuning_top1(sets, what)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=float, default=0.7)
    parser.add_argument("--tune", type=float, default=0.15)
    parser.add_argument("--fit", action="store_true",
                        help="search the weights on the tuning splits, then score with them")
    parser.add_argument("--grid-named", action="store_true",
                        help="print the tuning splits' top-1 over the weights of a department "
                             "the text names, then exit")
    args = parser.parse_args()
    if not REAL.exists():
        sys.exit(f"real data not found at {REAL}")
    tmp = Path(tempfile.mkdtemp(prefix="hotline-eval-"))
    sets = []
    for name, file, zh in (("NYC 311 2011", "nyc311_2011_sample.csv", False),
                           ("NYC 311 2024", "nyc311_2024_sample.csv", False),
                           ("LA 311 2017", "la311_2017_sample.csv", False),
                           ("Chinese messages", "gov_messages_zh_with_replies.csv", True)):
        sets.append(DataSet(name, file, tmp, args.history, args.tune, zh))
        print(f"  {name} loaded", file=sys.stderr, flush=True)
    # The same NYC files asked without the complaint type (see `without_type`): their tuning
    # splits are fitted on too.
    for name, file in (("NYC 311 2011, type left out", "nyc311_2011_sample.csv"),
                       ("NYC 311 2024, type left out", "nyc311_2024_sample.csv")):
        sets.append(DataSet(name, file, tmp, args.history, args.tune, False, text=without_type))
        print(f"  {name} loaded", file=sys.stderr, flush=True)
    if args.grid_named:
        grid_named(sets)
        return
    if args.fit:
        chosen = fit(sets)
        set_weights(*chosen)
        print(f"fitted on the tuning splits: W_KNN_DEPT={chosen[0]}, W_EXACT_DEPT={chosen[1]}, "
              f"W_KNN_CAT={chosen[2]}, W_EXACT_CAT={chosen[3]}, CAT_SHRINK_DOCS={chosen[4]}, "
              f"KNN_OFF_CATEGORY={chosen[5]}")
    print(f"weights: W_KNN_DEPT={engine.W_KNN_DEPT}, W_EXACT_DEPT={engine.W_EXACT_DEPT}, "
          f"W_KNN_CAT={engine.W_KNN_CAT}, W_EXACT_CAT={engine.W_EXACT_CAT}, "
          f"CAT_SHRINK_DOCS={engine.CAT_SHRINK_DOCS}, KNN_OFF_CATEGORY={engine.KNN_OFF_CATEGORY}")
    print("| data | label | split | history | asked | ours top-1 | ours top-3 | "
          "10-NN vote top-1 | 10-NN vote top-3 | ours - vote (top-1) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    timing: list[float] = []
    searches: list[float] = []
    for split_name in ("tuning", "held out"):
        for ds in sets:
            for what, n, e1, e3, b1, b3 in ds.score(split_name, timing=timing
                                                    if split_name == "held out" else None):
                n_train = sum(1 for c in ds.train if ds.truth[what](c))
                print(f"| {ds.name} | {what} | {split_name} | {n_train:,} | {n:,} | {e1:.3f} | "
                      f"{e3:.3f} | {b1:.3f} | {b3:.3f} | {e1 - b1:+.3f} |")
    for ds in sets:
        searches.extend(ds.search_ms)
        ds.close()
    timing.sort()
    searches.sort()
    print(f"\nsuggest (held out, given the neighbours): p50 {timing[len(timing) // 2]:.1f} ms, "
          f"p95 {timing[int(0.95 * len(timing)) - 1]:.1f} ms; the 10-case search for the "
          f"neighbours: p50 {searches[len(searches) // 2]:.1f} ms, "
          f"p95 {searches[int(0.95 * len(searches)) - 1]:.1f} ms")


if __name__ == "__main__":
    main()
