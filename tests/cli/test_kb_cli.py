"""`hotline kb ...` as a user runs it: a real process on a real data dir."""

from __future__ import annotations

import csv
import json

import pytest

from models.kb.demo import DEMO_ARTICLES

from .test_cli import hotline


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("kb")
    hotline("kb", "import", str(DEMO_ARTICLES), data_dir=data_dir)
    return data_dir


def test_import_reports_bad_files_and_reimport_adds_nothing(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "street-light.md").write_text(
        "---\ntitle: 路灯不亮报修\nanswer: 请提供道路名称和灯杆编号。\ntags: [路灯]\nlang: zh\n---\n正文\n",
        encoding="utf-8")
    (folder / "broken.md").write_text("---\ntitle: x\nanswer: y\nvalid_from: soon\n---\n",
                                      encoding="utf-8")
    out = hotline("kb", "import", str(folder), data_dir=tmp_path / "d").stdout
    assert "1 added" in out and "1 rejected" in out
    assert "broken.md:4: valid_from: 'soon' is not a date" in out
    again = hotline("kb", "import", str(folder), "--json", data_dir=tmp_path / "d").stdout
    summary = json.loads(again)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)
    assert summary["problems"][0] == {"file": "broken.md", "line": 4, "code": "bad_date",
                                      "message": "valid_from: 'soon' is not a date (write 2026-03-01)"}
    zh = hotline("kb", "import", str(folder), data_dir=tmp_path / "d", lang="zh").stdout
    assert "未变 1 篇" in zh and "不是日期" in zh


def test_import_csv_with_a_bad_row(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("id,title,answer,lang,body\n"
                    "tax,Property tax,Pay online or at the Treasurer's office,en,Twice a year\n"
                    "bad,,no title,en,\n", encoding="utf-8")
    out = hotline("kb", "import", str(path), data_dir=tmp_path / "d").stdout
    assert "1 added" in out and "kb.csv:3: title is missing" in out


def test_search_json_one_object_per_article(kb_dir):
    out = hotline("kb", "search", "暖气什么时候开始", "--json", data_dir=kb_dir).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and rows[0]["id"] == "heating-season"
    for key in ("id", "title", "version", "valid", "score", "status", "matched", "lang"):
        assert key in rows[0]
    assert rows[0]["valid"] is True and "供暖" in rows[0]["matched"]
    expired = [r for r in rows if r["id"] == "heating-subsidy-2024"]
    assert expired and expired[0]["valid"] is False and expired[0]["status"] == "expired"
    couch = json.loads(hotline("kb", "search", "pick up my old couch", "--json", "--limit", "1",
                               data_dir=kb_dir).stdout)
    assert couch["id"] == "bulky-item-pickup-en"


def test_search_table_in_both_languages_and_caller_text_is_literal(kb_dir):
    zh = hotline("kb", "search", "暂住证怎么办", data_dir=kb_dir, lang="zh").stdout
    assert "居住证办理" in zh and "现行有效" in zh and "“暂住证”即“居住证”" in zh
    en = hotline("kb", "search", "house taxes [bold]", data_dir=kb_dir).stdout
    assert "Paying property tax" in en and "current" in en
    none = hotline("kb", "search", "zzzzqqqq", data_dir=kb_dir).stdout
    assert "No article matches." in none


def test_show_an_article_and_an_earlier_version(kb_dir, tmp_path):
    record = json.loads(hotline("kb", "show", "heating-subsidy-2024", "--json",
                                data_dir=kb_dir).stdout)
    assert record["valid"] is False and record["status"] == "expired"
    assert record["valid_until"] == "2024-12-31"
    assert record["translations"] == [{"id": "heating-subsidy-2024-en", "lang": "en",
                                       "title": "2024 heating bill subsidy"}]
    text = hotline("kb", "show", "residence-permit", data_dir=kb_dir, lang="zh").stdout
    assert "居住证办理" in text and "有效期: 现行有效" in text and "答复口径" in text
    missing = hotline("kb", "show", "no-such-article", data_dir=kb_dir, check=False)
    assert missing.returncode == 1 and "No article no-such-article" in missing.stderr


def test_phrases_list_both_languages(kb_dir):
    rows = [json.loads(x) for x in hotline("kb", "phrases", "--json", data_dir=kb_dir)
            .stdout.splitlines()]
    codes = {(r["code"], r["lang"]) for r in rows}
    assert {(";gr", "zh"), (";gr", "en"), (";ad", "zh"), (";pt", "en"), (";cl", "zh")} <= codes
    address = next(r for r in rows if r["code"] == ";ad" and r["lang"] == "zh")
    assert address["fields"] == ["address"] and address["label"] == "复述地址"
    table = hotline("kb", "phrases", data_dir=kb_dir, lang="zh").stdout
    assert ";gr" in table and "问候" in table


def test_gaps_export_csv(tmp_path):
    data_dir = tmp_path / "demo"
    hotline("demo", "--seed-only", "--cases", "120", "--data-dir", str(data_dir),
            data_dir=data_dir)
    path = tmp_path / "gaps.csv"
    proc = hotline("kb", "gaps", "--days", "60", "--csv", str(path), data_dir=data_dir)
    assert "gaps.csv" in proc.stderr
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = {r["kind"] for r in rows}
    assert kinds <= {"answered_from_article", "no_article"} and "answered_from_article" in kinds
    answered = [r for r in rows if r["kind"] == "answered_from_article"]
    assert answered[0]["article_id"].startswith("water-outage")
    view = hotline("kb", "gaps", "--days", "60", data_dir=data_dir, lang="zh").stdout
    assert "问得最多" in view and "无匹配知识" in view


def test_demo_seeds_articles_once(tmp_path):
    data_dir = tmp_path / "demo"
    hotline("demo", "--seed-only", "--cases", "30", "--data-dir", str(data_dir), data_dir=data_dir)
    hit = json.loads(hotline("kb", "search", "小区里有马蜂窝", "--json", "--limit", "1",
                             data_dir=data_dir).stdout)
    assert hit["id"] == "hornet-nest-compound" and hit["version"] == 1
    hotline("demo", "--seed-only", "--data-dir", str(data_dir), data_dir=data_dir)
    again = json.loads(hotline("kb", "search", "小区里有马蜂窝", "--json", "--limit", "1",
                               data_dir=data_dir).stdout)
    assert again["version"] == 1


def test_kb_help_documents_the_commands(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "agent_tui.cli", "kb", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for command in ("import", "search", "show", "phrases", "gaps"):
        assert command in out
    assert "kb" in hotline("--help", data_dir=tmp_path).stdout
    sub = hotline("kb", "search", "--help", data_dir=tmp_path).stdout
    assert "--json" in sub and "--data-dir" in sub and "--lang" in sub


def test_search_on_a_store_with_no_articles_says_so(tmp_path):
    result = hotline("kb", "search", "暖气", data_dir=tmp_path / "empty", lang="zh")
    assert result.returncode == 0 and "没有匹配的知识" in result.stdout
    assert json_lines(hotline("kb", "search", "heating", "--json", data_dir=tmp_path / "empty").stdout) == []


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
