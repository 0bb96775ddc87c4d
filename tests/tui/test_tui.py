"""The TUI driven with Pilot: what the agent sees and what lands in the store."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable, Input, Static

from agent_tui.app import HotlineApp
from agent_tui.screens.case_list import CaseListScreen
from agent_tui.screens.case_view import CaseViewScreen
from agent_tui.screens.intake import IntakeScreen
from models.cases import file_case, timeline
from models.domain.case_shape import CaseDraft

from .conftest import workers_done


async def to_case_list(pilot) -> None:
    await pilot.press("f4")
    await workers_done(pilot.app)
    await pilot.pause()


def text_of(widget: Static) -> str:
    """The plain text a Static shows, however its content was built."""
    console = Console(width=200, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


async def test_case_list_shows_newest_first_and_filters(demo_store):
    app = HotlineApp(demo_store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_case_list(pilot)
        table = app.screen.query_one("#cases", DataTable)
        assert table.row_count == 120
        await pilot.press("slash", *"梦都大街")
        await workers_done(app)
        await pilot.pause()
        shown = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert shown and all("梦都大街" in s for s in shown)
        assert table.row_count < 120
        await pilot.press("escape")
        await workers_done(app)
        await pilot.pause()
        assert table.row_count == 120
        # Typing on the list filters too, without `/` first.
        assert app.focused is table
        await pilot.press(*"龙蟠中路")
        await workers_done(app)
        await pilot.pause()
        assert app.screen.query_one("#filter").value == "龙蟠中路"
        shown = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert shown and all("龙蟠中路" in s for s in shown) and table.row_count < 120


async def test_open_a_case_and_add_a_note(store):
    case = file_case(store, CaseDraft(caller_phone="13812345678", caller_name="王女士",
                                      description="路灯不亮", address="龙蟠中路", category="路灯",
                                      lead_department="路灯所"), "a01")
    app = HotlineApp(store, lang="en", agent="a02")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_case_list(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseViewScreen)
        assert case.case_no in text_of(app.screen.query_one("#case-fields", Static))
        await pilot.press("n", *"Called back, lamp fixed")
        await pilot.press("enter")
        await workers_done(app)  # the note is written on a thread
        await pilot.pause()
        assert "lamp fixed" in text_of(app.screen.query_one("#case-timeline", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CaseListScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
    notes = [e for e in timeline(store, case.id) if e.kind == "note"]
    assert [(n.note, n.agent) for n in notes] == [("Called back, lamp fixed", "a02")]


async def test_empty_note_is_refused_and_nothing_saved(store):
    case = file_case(store, CaseDraft(description="咨询", disposition="answered"), "a01")
    app = HotlineApp(store, lang="zh", agent="a02")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_case_list(pilot)
        await pilot.press("enter", "n", "space", "enter")
        await pilot.pause()
        assert app.screen.query_one("#note", Input).display  # still open for typing
    assert [e.kind for e in timeline(store, case.id)] == ["created"]


async def test_caller_text_is_shown_literally(store):
    file_case(store, CaseDraft(caller_name="[red]x[/red]", description="[bold]灯[/] [link=http://e.vil]点我[/link]",
                               disposition="answered"), "a01")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(100, 24)) as pilot:
        await to_case_list(pilot)
        table = app.screen.query_one("#cases", DataTable)
        assert str(table.get_row_at(0)[3]) == "[red]x[/red]"
        await pilot.press("enter")
        await pilot.pause()
        fields = text_of(app.screen.query_one("#case-fields", Static))
        assert "[bold]灯[/] [link=http://e.vil]点我[/link]" in fields


async def test_help_lists_the_keys(demo_store):
    app = HotlineApp(demo_store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_case_list(pilot)
        await pilot.press("f1")
        await pilot.pause()
        shown = text_of(app.screen.query_one(Static))
        assert "Filter" in shown and "Quit" in shown
