"""Routing accuracy on the real data in ../shared/data/real/, next to a nearest-neighbour baseline.

    python benchmarks/eval_routing.py [--train-share 0.7]

Each file is imported with its mapping into a fresh store; cases are split by created time (the
earlier part is history, the later part is asked about). The engine learns from the history
only; the baseline is a vote of the 10 nearest history cases found by SQLite FTS5 (trigram
tokenizer) BM25 over title and description. Top-1 and top-3 accuracy, side by side:

- department: NYC `Agency`, LA `Owner`, and the Chinese messages' handling agency where the
  reply names one (compared as the agency's kind, without its place prefix: A7县教育局 → 教育局);
- category: NYC `Complaint Type`, LA `RequestType`, and for the Chinese messages a top-level
  category derived from the agency that answered (教育局 → 教育文体 ...), since the file has no
  category column: a few hundred labelled messages, like a city's first months of history.
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
from models.routing import Router  # noqa: E402
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
    with store.raw() as conn:
        rows = conn.execute(
            'SELECT c.rowid, c.created_at, c.title, c.description, c.address, c.category, '
            'coalesce(nullif(d.name_zh, \'\'), nullif(d.name_en, \'\'), c.lead_department) '
            'FROM "case" c LEFT JOIN department d ON d.code = c.lead_department '
            'ORDER BY c.created_at, c.rowid').fetchall()
    cases = [dict(rowid=r[0], created=r[1], title=r[2], description=r[3], address=r[4],
                  category=r[5], department=r[6] or "") for r in rows]
    return store, cases


def split(store, cases: list[dict], share: float, relabel=None):
    """Keep the earlier `share` as history (delete the rest from the store); returns (train, test)."""
    cut = int(len(cases) * share)
    train, test = cases[:cut], cases[cut:]
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany('DELETE FROM "case" WHERE rowid = ?', [(c["rowid"],) for c in test])
        if relabel:
            conn.executemany('UPDATE "case" SET category = ? WHERE rowid = ?',
                             [(relabel(c), c["rowid"]) for c in train])
        conn.execute("COMMIT")
    return train, test


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


def evaluate(name: str, file: str, tmp: Path, share: float, zh: bool = False) -> list[tuple]:
    store, cases = load(file, tmp)
    relabel = (lambda c: agency_category(c["department"])) if zh else None
    truth_dept = (lambda c: agency_kind(c["department"])) if zh else (lambda c: c["department"])
    truth_cat = (lambda c: agency_category(c["department"])) if zh else (lambda c: c["category"])
    train, test = split(store, cases, share, relabel)
    router = Router.for_store(store)
    t = time.perf_counter()
    router.refresh()
    learn_s = time.perf_counter() - t
    vote = baseline(store, train)
    results = []
    for what, truth, pick in (("department", truth_dept, "departments"),
                              ("category", truth_cat, "categories")):
        asked = [c for c in test if truth(c)]
        if not asked:
            continue
        engine_pairs, base_pairs = [], []
        label_of = truth if not zh or what == "department" else (
            lambda h: agency_category(h["department"]))
        for c in asked:
            text = f"{c['title']} {c['description']}" if c["title"] and \
                not c["description"].startswith(c["title"]) else c["description"]
            s = router.suggest(text, address=c["address"], lang="zh" if zh else "en")
            if pick == "departments":
                pred = [truth_dept({"department": d.name}) for d in s.departments]
            else:
                pred = [x.category for x in s.categories]
            engine_pairs.append((pred, truth(c)))
            base_pairs.append((vote(text, label_of), truth(c)))
        results.append((name, what, sum(1 for c in train if truth(c)), len(asked),
                        *accuracy(engine_pairs), *accuracy(base_pairs), learn_s))
    router.close()
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-share", type=float, default=0.7)
    args = parser.parse_args()
    if not REAL.exists():
        sys.exit(f"real data not found at {REAL}")
    tmp = Path(tempfile.mkdtemp(prefix="hotline-eval-"))
    rows = []
    for name, file, zh in (("NYC 311 2011", "nyc311_2011_sample.csv", False),
                           ("NYC 311 2024", "nyc311_2024_sample.csv", False),
                           ("LA 311 2017", "la311_2017_sample.csv", False),
                           ("Chinese messages", "gov_messages_zh_with_replies.csv", True)):
        rows.extend(evaluate(name, file, tmp, args.train_share, zh))
        print(f"  {name} done", file=sys.stderr, flush=True)
    print("| data | label | history | asked | engine top-1 | engine top-3 | baseline top-1 | baseline top-3 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, what, n_train, n_test, e1, e3, b1, b3, _ in rows:
        print(f"| {name} | {what} | {n_train:,} | {n_test:,} | {e1:.3f} | {e3:.3f} | {b1:.3f} | {b3:.3f} |")


if __name__ == "__main__":
    main()
