"""`hotline search`, single and batch, as a user runs it, on a small real 311 file."""

from __future__ import annotations

import csv
import json

import pytest

from ..conftest import real_file
from .test_cli import hotline


@pytest.fixture(scope="module")
def nyc_dir(tmp_path_factory):
    """A data dir with the real NYC 311 2024 sample imported (1,000 requests)."""
    data_dir = tmp_path_factory.mktemp("nyc")
    hotline("import", str(real_file("nyc311_2024_sample.csv")), data_dir=data_dir)
    return data_dir


def _cases(data_dir) -> list[dict]:
    out = hotline("cases", "--json", data_dir=data_dir).stdout
    return [json.loads(line) for line in out.splitlines()]


def _a_duplicate_pair(cases: list[dict]) -> tuple[dict, dict]:
    """Two requests of one type at one address (the data's own labels)."""
    seen: dict[tuple[str, str], dict] = {}
    for c in cases:
        key = (c["title"], c["address"])
        if c["address"] and key in seen:
            return seen[key], c
        seen[key] = c
    raise AssertionError("no duplicate pair in the sample")


def test_single_query_finds_the_other_report_of_a_duplicate(nyc_dir):
    first, second = _a_duplicate_pair(_cases(nyc_dir))
    out = hotline("search", second["description"], "--address", second["address"],
                  "--exclude", second["case_id"], "--json", "--limit", "5", data_dir=nyc_dir).stdout
    results = json.loads(out)["results"]
    assert 1 <= len(results) <= 5
    assert first["case_id"] in [r["case_id"] for r in results[:5]]
    top = results[0]
    assert {"case_id", "score", "why"} <= set(top) and "same address" in top["why"]
    assert all(r["case_id"] != second["case_id"] for r in results)


def test_batch_answers_each_row_as_the_single_query_in_input_order(nyc_dir, tmp_path):
    cases = _cases(nyc_dir)
    first, second = _a_duplicate_pair(cases)
    rows = [
        {"query_id": second["case_id"], "description": second["description"],
         "address": second["address"], "caller_phone": ""},
        {"query_id": "q-text-only", "description": "Noise - Residential: Loud Music/Party",
         "address": "", "caller_phone": ""},
        {"query_id": "q-address-only", "description": "", "address": first["address"],
         "caller_phone": ""},
        {"query_id": "q-nothing", "description": "", "address": "", "caller_phone": ""},
    ]
    path = tmp_path / "queries.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = hotline("search", "--batch", str(path), "--json", "--limit", "5", data_dir=nyc_dir).stdout
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["query_id"] for a in answers] == [r["query_id"] for r in rows]
    assert first["case_id"] in [r["case_id"] for r in answers[0]["results"]]
    assert answers[1]["results"] and answers[3]["results"] == []
    for row, answer in zip(rows[:3], answers[:3], strict=True):
        args = ["search", row["description"], "--json", "--limit", "5", "--exclude", row["query_id"]]
        if row["address"]:
            args += ["--address", row["address"]]
        single = json.loads(hotline(*args, data_dir=nyc_dir).stdout)["results"]
        strip = lambda rs: [{k: r[k] for k in ("case_id", "score", "why")} for r in rs]  # noqa: E731
        assert strip(single) == strip(answer["results"]), row["query_id"]


def test_table_output_rebuild_and_help(nyc_dir):
    out = hotline("search", "Blocked Driveway", "--limit", "3", data_dir=nyc_dir).stdout
    assert "Blocked" in out and "similar text" in out
    zh = hotline("search", "Blocked Driveway", "--limit", "3", data_dir=nyc_dir, lang="zh").stdout
    assert "内容相似" in zh
    rebuilt = hotline("search", "--rebuild", data_dir=nyc_dir)
    assert "indexed 1000 cases" in rebuilt.stderr
    help_text = hotline("search", "--help", data_dir=nyc_dir).stdout
    for option in ("--phone", "--address", "--limit", "--json", "--batch", "--rebuild", "--data-dir"):
        assert option in help_text
    bad = hotline("search", data_dir=nyc_dir, check=False)
    assert bad.returncode != 0 and "TEXT" in bad.stderr


def test_the_table_lists_the_cases_alike_and_counts_the_rest(nyc_dir):
    # A word in common with some requests and nothing else: not similar (`Hit.alike`).
    query = "zzqx wwvb kkrt plmn yyto parked"
    found = json.loads(hotline("search", query, "--json", "--limit", "5", data_dir=nyc_dir).stdout)
    assert len(found["results"]) == 5 and not any(r["alike"] for r in found["results"])
    out = hotline("search", query, "--limit", "5", data_dir=nyc_dir).stdout
    assert "no similar cases" in out and "5 weaker matches" in out
    assert not any(r["case_id"] in out for r in found["results"])
    zh = hotline("search", query, "--limit", "5", data_dir=nyc_dir, lang="zh").stdout
    assert "没有相似的案件" in zh and "另有 5 件" in zh
    alike = hotline("search", "Blocked Driveway", "--limit", "3", data_dir=nyc_dir).stdout
    assert "weaker" not in alike


def test_hotline_import_leaves_the_search_index_current(nyc_dir):
    """`hotline import` writes the rows and their postings in one run: the store's index is at
    the last row before any search, so `hotline search` has nothing to catch up."""
    import sqlite3

    conn = sqlite3.connect(nyc_dir / "hotline.db")
    try:
        watermark, docs = (conn.execute(
            f"SELECT value FROM search_state WHERE key = '{k}'").fetchone()[0]
            for k in ("watermark", "docs"))
        top, count = conn.execute('SELECT max(rowid), count(*) FROM "case"').fetchone()
    finally:
        conn.close()
    assert (watermark, docs) == (top, count) == (top, 1000)
    out = hotline("search", "Blocked Driveway", "--json", "--limit", "3", data_dir=nyc_dir)
    assert json.loads(out.stdout)["results"] and "search index" not in out.stderr


def test_hotline_import_leaves_the_routing_model_learned(nyc_dir):
    """The same run learns the imported history: the routing statistics have read up to the
    last case, so the first suggestion (in the TUI or `hotline route`) has nothing to learn."""
    import sqlite3

    conn = sqlite3.connect(nyc_dir / "routing.db")
    try:
        learned = int(conn.execute("SELECT value FROM state WHERE key = 'case_rowid'"
                                   ).fetchone()[0])
    finally:
        conn.close()
    assert learned == 1000
    out = hotline("route", "Blocked Driveway", "--json", data_dir=nyc_dir)
    assert json.loads(out.stdout)["departments"]  # answered from what the import taught


def test_the_table_names_departments_and_the_reason_names_words(tmp_path):
    """For a person, the table shows a department's name, also one an import holds for a lead
    (its cases carry an `imp:` code); `--json` keeps the code. The reason names the matched
    words without the particles a run of pairs picks up at its edges (门口的 -> 门口)."""
    path = tmp_path / "history.csv"
    path.write_text("case_id,department,description\n"
                    "H1,县公安局,宾馆门口的电线杆的路灯已经坏了\n"
                    "H2,Street Lighting Office,Street light out on Main St\n", encoding="utf-8")
    hotline("import", str(path), data_dir=tmp_path)
    table = hotline("search", "小区门口的路灯坏了好几天", data_dir=tmp_path, lang="zh").stdout
    assert "县公安局" in table and "imp:" not in table
    assert "内容相似: 门口 路灯 坏了" in table
    found = json.loads(hotline("search", "小区门口的路灯坏了好几天", "--json",
                               data_dir=tmp_path).stdout)["results"]
    assert found[0]["department"].startswith("imp:")
    table = hotline("search", "street light out", data_dir=tmp_path).stdout
    assert "Street Li…" in table and "street_li" not in table  # (a column 10 wide)
