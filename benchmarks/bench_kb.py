"""Knowledge-base speed: importing articles, and suggestions while the agent types.

    python benchmarks/bench_kb.py [--articles 50000] [--cases 1000000] [--import-files 10000]
                                  [--keep DIR]

1. `hotline kb import DIR` of N generated Markdown files (front matter, Chinese and English),
   run as the agent runs it (a process, a fresh store): wall time;
2. a store holding `--cases` generated cases (benchmarks/bench_search.py's generator, imported)
   and `--articles` generated articles (imported from a CSV);
3. suggestions while typing: each question of the knowledge test set typed a keystroke at a
   time (every prefix from 2 characters or one word on), each prefix a search, in a fresh
   process: p50 / p95 / max per language, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DISTRICTS = ["玄武", "秦淮", "建邺", "鼓楼", "浦口", "栖霞", "雨花台", "江宁", "六合", "溧水", "高淳", "江北"]
TOPICS_ZH = ["居住证", "社保卡", "公积金", "供暖", "路灯", "马蜂窝", "预付卡", "油烟", "违章搭建", "化粪池",
             "停水", "燃气", "电梯", "噪音", "停车", "户口", "身份证", "医保", "养老金", "低保", "廉租房",
             "学区", "入学", "疫苗", "犬类登记", "垃圾分类", "大件垃圾", "房产税", "契税", "营业执照",
             "食品安全", "出租车", "公交线路", "地铁", "驾驶证", "车辆年检", "违章查询", "老年卡", "残疾证",
             "生育津贴", "失业金", "人才补贴", "落户", "拆迁", "物业费", "维修基金", "业委会", "绿化",
             "井盖", "积水"]
ASPECTS_ZH = ["办理流程", "所需材料", "办理地点", "收费标准", "投诉渠道", "常见问题", "政策解读", "时间安排",
              "补办", "变更", "注销", "查询方式", "申请条件", "审批时限"]
TOPICS_EN = ["residence permit", "social security card", "housing fund", "heating", "street light",
             "hornet nest", "prepaid card", "cooking fumes", "illegal construction", "sewer",
             "water outage", "gas leak", "elevator", "noise", "parking", "birth certificate",
             "ID card", "medical insurance", "pension", "food stamps", "public housing",
             "school enrollment", "vaccination", "dog license", "recycling", "bulky item",
             "property tax", "business license", "food safety", "taxi", "bus route", "subway",
             "driver license", "vehicle inspection", "parking ticket", "senior card",
             "disability benefits", "unemployment benefits", "tree pruning", "pothole",
             "graffiti", "snow removal", "rodents", "sidewalk repair", "noise permit"]
ASPECTS_EN = ["how to apply", "documents needed", "where to go", "fees", "complaints",
              "common questions", "policy explained", "schedule", "replacement", "changes",
              "cancellation", "status check", "eligibility", "processing time"]


def article(i: int, rng: random.Random) -> dict:
    if i % 2:
        topic, aspect, district = rng.choice(TOPICS_ZH), rng.choice(ASPECTS_ZH), rng.choice(DISTRICTS)
        title = f"{district}区{topic}{aspect}（{i}）"
        answer = (f"{district}区{topic}{aspect}：请携带身份证到{district}区政务服务中心{rng.randint(1, 40)}号窗口办理，"
                  f"{rng.randint(3, 20)}个工作日内办结，咨询电话12345。")
        body = "\n".join(f"{n + 1}. {rng.choice(TOPICS_ZH)}{rng.choice(ASPECTS_ZH)}相关说明，"
                         f"适用于{rng.choice(DISTRICTS)}区居民。" for n in range(rng.randint(3, 8)))
        return {"id": f"syn-{i}", "title": title, "answer": answer, "body": body, "lang": "zh",
                "category": topic, "tags": [topic, aspect], "department": f"{district}区政务服务中心"}
    topic, aspect = rng.choice(TOPICS_EN), rng.choice(ASPECTS_EN)
    borough = rng.choice(["Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"])
    title = f"{topic.title()}: {aspect} ({borough} {i})"
    answer = (f"For {topic} ({aspect}) in {borough}, visit the service center at window "
              f"{rng.randint(1, 40)} with your ID; it takes {rng.randint(3, 20)} business days.")
    body = "\n".join(f"- Note {n + 1} on {rng.choice(TOPICS_EN)}, {rng.choice(ASPECTS_EN)}."
                     for n in range(rng.randint(3, 8)))
    return {"id": f"syn-{i}", "title": title, "answer": answer, "body": body, "lang": "en",
            "category": topic, "tags": [topic, aspect], "department": f"{borough} service center"}


def write_markdown(folder: Path, n: int, seed: int = 11) -> None:
    import yaml

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a = article(i, rng)
        body = a.pop("body")
        head = yaml.safe_dump(a, allow_unicode=True, sort_keys=False, width=1000)
        (folder / f"{a['id']}.md").write_text(f"---\n{head}---\n{body}\n", encoding="utf-8")


def write_csv(path: Path, n: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "answer", "category", "tags", "department", "lang", "body"])
        for i in range(n):
            a = article(i, rng)
            w.writerow([a["id"], a["title"], a["answer"], a["category"], ";".join(a["tags"]),
                        a["department"], a["lang"], a["body"]])


def hotline(*args: str, data_dir: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process, its output)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "agent_tui.cli", *args, "--data-dir",
                           str(data_dir), "--lang", "en"], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout.strip()


def build_big_store(store_dir: Path, cases: int, articles: int, work: Path) -> dict:
    import bench_search

    from models.importing.importer import import_csv
    from models.kb import import_articles
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    out = {}
    store = open_store(store_dir)
    with store.writer() as s:
        ensure_catalogue(s)
    if cases:
        cases_csv = work / "cases.csv"
        bench_search.make_csv(cases_csv, cases)
        t = time.perf_counter()
        import_csv(store, cases_csv)
        out["cases_import_s"] = time.perf_counter() - t
        cases_csv.unlink()
    articles_csv = work / "articles.csv"
    write_csv(articles_csv, articles)
    t = time.perf_counter()
    report = import_articles(store, articles_csv)
    out["articles_import_s"] = time.perf_counter() - t
    out["articles"] = report.added
    with store.raw() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    import_articles(open_store(store_dir), ROOT / "models" / "kb" / "demo")  # the real ones too
    out["store_mb"] = (store_dir / "hotline.db").stat().st_size / 1e6
    return out


def typing_queries() -> list[tuple[str, str]]:
    import eval_kb

    out = []
    for q in eval_kb.load_questions():
        text = q["question"]
        if q["lang"] == "zh":
            prefixes = [text[:n] for n in range(2, len(text) + 1)]
        else:
            words = text.split()
            prefixes = [" ".join(words[:n]) for n in range(1, len(words) + 1)]
        out += [(q["lang"], p) for p in prefixes]
    return out


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that forked it, which built a store of a million cases)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def query_phase(store_dir: Path) -> dict:
    """In its own process: suggestions for every prefix of every test question."""
    import os

    from models.kb.search import KnowledgeSearch

    engine = KnowledgeSearch(store_dir / "hotline.db")
    engine.search("预热 warm up")  # first-use costs (numpy, pinyin table) not timed
    times: dict[str, list[float]] = {"zh": [], "en": []}
    for lang, text in typing_queries():
        t = time.perf_counter()
        engine.search(text, limit=5)
        times[lang].append((time.perf_counter() - t) * 1000)
    out = {}
    for lang, values in times.items():
        values.sort()
        out[lang] = {"n": len(values), "p50": statistics.median(values),
                     "p95": values[int(len(values) * 0.95) - 1], "max": values[-1]}
    out["rss_mb"] = _peak_rss_mb()
    out["load"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--import-files", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the big store in DIR")
    parser.add_argument("--query-phase", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_phase:
        print(json.dumps(query_phase(args.query_phase)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="hotline-bench-kb-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.import_files:
        folder = work / "markdown"
        if not folder.exists():
            write_markdown(folder, args.import_files)
        fresh = work / "import-store"
        shutil.rmtree(fresh, ignore_errors=True)
        wall, cpu, out = hotline("kb", "import", str(folder), data_dir=fresh)
        print(f"hotline kb import of {args.import_files:,} Markdown files: {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU (a process, fresh store) -> {out}", flush=True)
        wall, cpu, out = hotline("kb", "import", str(folder), data_dir=fresh)
        print(f"the same again: {wall:.1f} s wall, {cpu:.1f} s CPU -> {out}", flush=True)
        shutil.rmtree(fresh, ignore_errors=True)
    store_dir = work / "store"
    if not (store_dir / "hotline.db").exists():
        b = build_big_store(store_dir, args.cases, args.articles, work)
        print(f"store: {args.cases:,} cases (import {b.get('cases_import_s', 0):.0f} s), "
              f"{b['articles']:,} articles (import from CSV {b['articles_import_s']:.1f} s); "
              f"{b['store_mb']:.0f} MB", flush=True)
    out = subprocess.run([sys.executable, __file__, "--query-phase", str(store_dir)],
                         capture_output=True, text=True, check=True)
    q = json.loads(out.stdout)
    print(f"{'typing':8} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for lang in ("zh", "en"):
        m = q[lang]
        print(f"{lang:8} {m['n']:>6} {m['p50']:>8.1f} {m['p95']:>8.1f} {m['max']:>8.1f}")
    print(f"query process peak RSS {q['rss_mb']:.0f} MB; load average {q['load']:.1f}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
