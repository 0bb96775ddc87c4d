"""`hotline catalogue pending | map | accept`: imported department names a lead decides on."""

from __future__ import annotations

import json

from ..conftest import real_file
from .test_cli import hotline


def test_a_lead_lists_maps_and_accepts_imported_names(tmp_path):
    out = hotline("import", str(real_file("gov_messages_zh_with_replies.csv")), data_dir=tmp_path,
                  lang="zh").stdout
    assert "待班长确认的单位名称" in out and "新增单位" not in out
    rows = [json.loads(line) for line in
            hotline("catalogue", "pending", "--json", data_dir=tmp_path).stdout.splitlines()]
    names = {r["name"]: r for r in rows}
    assert rows[0]["cases"] >= rows[-1]["cases"]  # most named first
    county = names["A7县教育局"]
    assert county["code"] == "imp:a7县教育局" and county["cases"] > 0
    assert county["closest"] == "education_bureau"
    out = hotline("catalogue", "map", "A7县教育局", "education_bureau", data_dir=tmp_path).stdout
    assert f"{county['cases']} cases moved" in out
    out = hotline("catalogue", "accept", "西地省人民政府", data_dir=tmp_path).stdout
    assert "added to the catalogue" in out
    left = {json.loads(line)["name"] for line in
            hotline("catalogue", "pending", "--json", data_dir=tmp_path).stdout.splitlines()}
    assert "A7县教育局" not in left and "西地省人民政府" not in left
    assert len(left) == len(rows) - 2
    bad = hotline("catalogue", "map", "A7县教育局", "education_bureau", data_dir=tmp_path,
                  check=False)
    assert bad.returncode != 0 and "not in the pending list" in bad.stderr
