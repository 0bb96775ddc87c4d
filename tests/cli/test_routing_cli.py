"""`hotline route`, single and batch, as a user runs it: a real process on a real data dir."""

from __future__ import annotations

import csv
import json

from ..conftest import real_file
from .test_cli import hotline


def test_route_single_json_follows_the_seed(tmp_path):
    out = hotline("route", "路边梧桐树上有一个马蜂窝，行人经过很危险", "--address", "大杨村28号",
                  "--json", data_dir=tmp_path, lang="zh").stdout
    result = json.loads(out)
    assert result["categories"][0]["category"] == "马蜂窝"
    lead = result["departments"][0]
    assert lead["department"] == "街道办事处" and lead["why"]
    assert {d["code"] for d in result["departments"] if d["role"] == "co"} == {
        "traffic_police", "fire_brigade"}


def test_route_single_prints_reasons_for_people(tmp_path):
    out = hotline("route", "小区楼道窗外有马蜂窝", "--location-kind", "residential_compound",
                  data_dir=tmp_path, lang="en").stdout
    assert "Redirected to owners' self-governance" in out
    assert "rule:" in out


def test_route_batch_on_real_history_answers_every_row_in_order(tmp_path):
    data = tmp_path / "d"
    hotline("import", str(real_file("nyc311_2011_sample.csv")), "--accept-departments",
            data_dir=data)  # the city's own agencies
    with open(real_file("nyc311_2024_sample.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))[:40]
    queries = tmp_path / "q.csv"
    with open(queries, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["query_id", "description", "address"])
        for i, r in enumerate(rows):
            w.writerow([f"q{i}", f"{r['complaint_type']}: {r['descriptor']}", r["incident_address"]])
    out = hotline("route", "--batch", str(queries), "--json", data_dir=data).stdout
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["query_id"] for a in answers] == [f"q{i}" for i in range(len(rows))]
    for answer in answers:
        assert set(answer) >= {"query_id", "categories", "departments"}
        for d in answer["departments"]:
            assert set(d) >= {"department", "score", "why"}
    right = sum(1 for a, r in zip(answers, rows, strict=True)
                if a["departments"] and a["departments"][0]["department"] == r["agency"])
    assert right >= 0.8 * len(rows)  # departments named as the data names them (NYPD, DSNY ...)


def test_route_batch_answers_like_the_single_command(tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("query_id,description\nq1,楼下饭店油烟直排\n", encoding="utf-8")
    batch = json.loads(hotline("route", "--batch", str(queries), "--json", data_dir=tmp_path,
                               lang="zh").stdout)
    single = json.loads(hotline("route", "楼下饭店油烟直排", "--json", data_dir=tmp_path,
                                lang="zh").stdout)
    assert batch.pop("query_id") == "q1"
    assert batch == single


def test_route_without_text_is_a_usage_error(tmp_path):
    proc = hotline("route", data_dir=tmp_path, check=False)
    assert proc.returncode == 2 and "--batch" in proc.stderr
