"""Issue 10: big text never stalls the terminal. A 100 KB paste is cut to the form's limit at
once and the agent is told; a pulled 7 MB description opens a page at a time; the batch CSV
readers take fields of any size the form takes and report bigger ones by line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual import events

from agent_tui.app import HotlineApp
from tests.tui.conftest import workers_done
from tests.tui.test_tui import text_of

from .hostile_support import leaks, put_hostile_case

ROOT = Path(__file__).resolve().parents[2]


def test_the_description_box_limit_is_the_forms():
    from agent_tui.widgets.description import MAX_DESCRIPTION
    from models.domain import validation

    assert MAX_DESCRIPTION == validation.MAX_DESCRIPTION == 20_000


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_100_kb_paste_is_cut_to_the_limit_and_said(store, lang):
    from models.domain.case_shape import CaseDraft  # noqa: F401  (loaded before the clock starts)

    app = HotlineApp(store, lang=lang, agent="a01")
    pasted = ("路灯不亮 street light out 梦都大街 " * 4000)[:100_000]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        area = app.screen.query_one("#description")
        area.focus()
        await pilot.press(*"abc")
        await pilot.pause()
        app.post_message(events.Paste(pasted))  # as the terminal's bracketed paste arrives
        await pilot.pause()
        assert area.text == "abc" + pasted[:20_000 - 3]
        assert [n.message for n in app._notifications] == [
            "The request is limited to 20,000 characters: 80,003 pasted characters were left out"
            if lang == "en" else "诉求内容最多 20,000 个字符：粘贴的内容有 80,003 个字符未放入"]
        await pilot.press("x")  # full: a key adds nothing more
        await pilot.pause()
        assert len(area.text) == 20_000
        await pilot.press("backspace", "backspace", "y")  # room again: typing goes on
        await pilot.pause()
        assert len(area.text) == 19_999 and area.text.endswith("y")
        draft = app.screen.query_one("IntakeForm").collect()
        assert len(draft.description) == 19_999


async def test_a_7_mb_pulled_case_opens_a_page_at_a_time(store):
    from agent_tui.screens.case_view import CaseViewScreen
    from agent_tui.widgets.paged_text import PAGE_CHARS

    lines = [f"第{i}行 路灯不亮 street light out at lamp {i}\x1b[2J" for i in range(200_000)]
    description = "\n".join(lines)[:7_000_000]
    case_id = put_hostile_case(store, description=description, rejected=False)
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.push_screen(CaseViewScreen(case_id))
        await pilot.pause()
        screen = app.screen
        first = text_of(screen.query_one("#case-fields"))
        assert "第0行" in first and "第1行" in first and "第199999行" not in first
        assert screen.pages.count > 7_000_000 // PAGE_CHARS
        assert f"page 1 of {screen.pages.count:,}" in first and leaks(first) == []
        bar = text_of(screen.query_one("KeyBar"))
        assert "Next page" in bar
        await pilot.press("right_square_bracket")
        await pilot.pause()
        second = text_of(screen.query_one("#case-fields"))
        assert "page 2 of" in second and "第0行" not in second
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert "page 1 of" in text_of(screen.query_one("#case-fields"))
        await pilot.press("f4")  # and the case list beside it shows one line of it
        await workers_done(app)
        await pilot.pause()
        table = app.screen.query_one("#cases")
        assert table.row_count == 1


def hotline(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args, "--lang", "en"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def test_batch_readers_take_what_the_form_takes_and_report_bigger_by_line(tmp_path):
    data = str(tmp_path / "data")
    fits = "路灯不亮。" * 4_000  # exactly 20,000 characters: the form's limit
    assert len(fits) == 20_000
    huge = "x" * 150_000  # past csv's own 128 KB limit and the form's
    cases = write_csv(tmp_path / "cases.csv", ["description", "address", "department"], [
        [fits, "梦都大街1号", "street_light_office"],
        [huge, "梦都大街2号", "street_light_office"],
        ["化粪池漫溢", "芦席营22号", "street_office"]])
    r = hotline("new", "--batch", str(cases), "--data-dir", data)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stdout.split()) == 2  # two case numbers
    assert "line 3" in r.stderr and "filed 2, rejected 1" in r.stderr

    queries = write_csv(tmp_path / "queries.csv", ["query_id", "description", "address"], [
        ["q1", fits, "梦都大街1号"], ["q2", huge, ""], ["q3", "化粪池漫溢", ""]])
    for command in ("search", "route"):
        r = hotline(command, "--batch", str(queries), "--data-dir", data)
        assert r.returncode == 1 and "Traceback" not in r.stderr, (command, r.stderr)
        answered = [json.loads(line)["query_id"] for line in r.stdout.splitlines()]
        assert answered == ["q1", "q3"], command
        assert "line 3" in r.stderr and "description: 150,000 characters" in r.stderr, r.stderr
