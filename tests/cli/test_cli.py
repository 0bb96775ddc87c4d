"""The `hotline` command line, run as a user runs it: a real process on a real data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..conftest import real_file


def hotline(*args: str, data_dir, lang: str = "en", check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_AGENT": "cli01"}
    proc = subprocess.run([sys.executable, "-m", "agent_tui.cli", *args, "--lang", lang]
                          if args and args[0] not in ("--help",) else
                          [sys.executable, "-m", "agent_tui.cli", *args],
                          capture_output=True, text=True, env=env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_help_documents_the_commands(tmp_path):
    out = hotline("--help", data_dir=tmp_path).stdout
    for command in ("tui", "demo", "import", "cases", "new"):
        assert command in out
    sub = hotline("import", "--help", data_dir=tmp_path).stdout
    assert "--map" in sub and "--data-dir" in sub and "--lang" in sub


def test_import_then_cases_json(tmp_path):
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("case_id,created_at,address,category,description\n"
                        "n1,2026-03-10 09:15:00,龙蟠中路,路灯,路灯不亮 [bold]\n"
                        "n2,bad date,x,,y\n", encoding="utf-8")
    out = hotline("import", str(csv_path), data_dir=tmp_path / "d").stdout
    assert "imported 1" in out and "rejected 1" in out and "line 3" in out
    lines = hotline("cases", "--json", data_dir=tmp_path / "d").stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["case_id"] == "n1" and record["description"] == "路灯不亮 [bold]"
    assert record["category"] == "street_light" and record["sync_state"] == "imported"
    for column in ("created_at", "caller_phone", "caller_name", "address", "district", "department",
                   "status", "title", "resolved_at", "resolution", "satisfaction", "lat", "lon"):
        assert column in record


def test_import_summary_in_chinese(tmp_path):
    path = real_file("nyc311_2024_sample.csv")
    out = hotline("import", str(path), data_dir=tmp_path, lang="zh").stdout
    assert "导入 1000 件" in out and "拒收 0 件" in out


def test_import_json_summary_and_mapping_flag(tmp_path):
    path = real_file("nyc311_2011_sample.csv")
    out = hotline("import", str(path), "--map", "nyc311", "--json", data_dir=tmp_path).stdout
    summary = json.loads(out)
    assert summary["imported"] == 2000 and summary["mapping"] == "nyc311"


def test_import_without_description_fails_with_advice(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    proc = hotline("import", str(path), data_dir=tmp_path, check=False)
    assert proc.returncode == 1 and "--map" in proc.stderr


def test_new_prints_the_case_number_and_saves(tmp_path):
    proc = hotline("new", "--phone", "13812345678", "--name", "戴先生", "--description",
                   "芦席营22号有马蜂窝", "--address", "芦席营22号", "--category", "hornet_nest",
                   "--department", "街道办", data_dir=tmp_path)
    number = proc.stdout.strip()
    assert number.count("-") == 2
    record = json.loads(hotline("cases", "--json", data_dir=tmp_path).stdout)
    assert record["case_no"] == number and record["caller_phone"] == "+8613812345678"
    assert record["department"] == "street_office" and record["agent"] == "cli01"


def test_new_with_bad_input_says_what_to_fix_and_saves_nothing(tmp_path):
    proc = hotline("new", "--phone", "abc", "--description", "", data_dir=tmp_path, lang="zh",
                   check=False)
    assert proc.returncode == 2
    assert "描述不能为空" in proc.stderr and "电话号码含有字母" in proc.stderr
    assert hotline("cases", "--json", data_dir=tmp_path).stdout == ""


def test_new_batch_files_good_rows_and_reports_bad_ones(tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(
        "created_at,caller_phone,description,address,category,department,disposition\n"
        "2026-03-10 09:00,13900001111,路灯不亮,龙蟠中路,路灯,路灯管理处,dispatch\n"
        "2026-03-10 09:05,,咨询公积金,,,,answered\n"
        "2026-03-10 09:10,13900002222,马蜂窝,,马蜂窝,街道,dispatch\n", encoding="utf-8")
    proc = hotline("new", "--batch", str(path), data_dir=tmp_path, check=False)
    assert proc.returncode == 1
    assert len(proc.stdout.split()) == 2
    assert "line 4" in proc.stderr and "filed 2, rejected 1" in proc.stderr
    records = [json.loads(x) for x in hotline("cases", "--json", data_dir=tmp_path).stdout.splitlines()]
    assert [r["created_at"][:16] for r in records] == ["2026-03-10T09:00", "2026-03-10T09:05"]


def test_demo_seed_only(tmp_path):
    proc = hotline("demo", "--seed-only", "--cases", "50", "--data-dir", str(tmp_path), data_dir=tmp_path)
    assert "50" in proc.stderr
    assert len(hotline("cases", "--json", data_dir=tmp_path).stdout.splitlines()) == 50
    again = hotline("demo", "--seed-only", "--data-dir", str(tmp_path), data_dir=tmp_path)
    assert again.stderr == ""  # seeded once


def test_tui_refuses_without_a_terminal(tmp_path):
    proc = hotline("tui", data_dir=tmp_path, check=False)
    assert proc.returncode == 1 and "terminal" in proc.stderr


@pytest.mark.parametrize("lang,word", [("zh", "工单号"), ("en", "Case no.")])
def test_cases_table_in_both_languages(tmp_path, lang, word):
    hotline("new", "--description", "咨询", "--disposition", "answered", data_dir=tmp_path)
    assert word in hotline("cases", data_dir=tmp_path, lang=lang).stdout
