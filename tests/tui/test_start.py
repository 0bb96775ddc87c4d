"""The terminal's start: the form is the bottom screen itself, its labels drawn by the grid
beside their fields, and the garbage collector that `hotline` pauses on its first line running
again once the form is drawn (and before any other command runs)."""

from __future__ import annotations

import gc
import subprocess
import sys

from rich.cells import cell_len
from textual.widgets import Static

from agent_tui.app import HotlineApp
from agent_tui.screens.intake import IntakeScreen
from agent_tui.widgets.labelled_grid import LabelledGrid

from ..conftest import ROOT
from .conftest import screen_text


async def test_the_form_is_the_bottom_screen_with_its_labels_beside_its_fields(store):
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen_stack == [app.intake] and isinstance(app.intake, IntakeScreen)
        grid = app.screen.query_one(LabelledGrid)
        assert not grid.query(Static)  # no label widgets: the grid draws them
        phone, name = app.screen.query_one("#phone"), app.screen.query_one("#name")
        left = grid.content_region.x
        row = grid.render_line(phone.region.y - grid.content_region.y).text
        # Each label in the cells before its field: 来电号码 left of the phone, 姓名 after it.
        def cell(label: str) -> int:  # where the label starts, in cells (a Han character is two)
            return cell_len(row[:row.index(label)])

        assert cell("来电号码") == 0 and cell_len("来电号码") <= phone.region.x - left
        assert phone.region.right - left < cell("姓名") < name.region.x - left
        # On screen (blank rows left out), in reading order: label, field, label, field.
        rows = ["".join(r.split()) for r in screen_text(app.export_screenshot()).splitlines()]
        assert "来电号码号码（隐藏则留空）姓名" in rows
        assert "地点类型其他▾类别选择类别▾" in rows and "紧急程度一般▾处理方式派单▾" in rows


def test_keys_typed_before_the_form_is_up_land_in_its_fields(demo_store):
    """The keys come at once, while the form is still being composed (as from an agent who
    starts typing as the terminal opens): none is lost on the bare screen."""
    app = HotlineApp(demo_store, lang="zh", agent="a01")
    seen: dict[str, object] = {}

    async def type_at_once(pilot):
        seen["focused at the first key"] = app.focused
        # A caller who withholds the number: Enter past the phone field first.
        await pilot.press("enter", "王", "enter", *"路灯不亮")
        await pilot.pause()
        q = app.screen.query_one
        seen.update(phone=q("#phone").value, name=q("#name").value, text=q("#description").text)
        app.exit()

    app.run(headless=True, auto_pilot=type_at_once, size=(80, 24))
    assert seen["focused at the first key"] is None  # the race this test is about
    assert (seen["phone"], seen["name"], seen["text"]) == ("", "王", "路灯不亮")


async def test_a_paused_collector_runs_again_once_the_form_is_drawn(store):
    gc.disable()  # as `hotline` (agent_tui.launch) leaves it
    try:
        app = HotlineApp(store, lang="zh", agent="a01")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 10_000  # the start's objects, out of its way
    finally:
        gc.unfreeze()
        gc.enable()


def test_hotline_pauses_the_collector_and_other_commands_run_with_it_on(tmp_path):
    script = """
import gc, sys
import agent_tui.launch
print("paused at start:", not gc.isenabled())
from agent_tui import cli
from agent_tui.commands import data
callback = data.cases_cmd.callback
def cases(*args, **kwargs):
    print("on in the command:", gc.isenabled())
    return callback(*args, **kwargs)
data.cases_cmd.callback = cases
sys.argv = ["hotline", "cases", "--data-dir", sys.argv[1], "--lang", "en"]
agent_tui.launch.main()
"""
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "data")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "paused at start: True" in out.stdout
    assert "on in the command: True" in out.stdout


async def test_a_router_made_before_the_catalogue_merge_reads_the_new_aliases(store):
    """A terminal of an older release (its catalogue without 自来水): the start's thread merges
    the built-in aliases; a router a suggestion made before that reads the catalogue again."""
    from models.reference.catalogue import BUILTIN_MARK
    from models.store.tables import Category, Meta

    from .conftest import workers_done

    with store.writer() as s:
        cat = s.get(Category, "heating_water")
        cat.aliases = [a for a in cat.aliases if a != "自来水"]
        s.add(cat)
        s.delete(s.get(Meta, BUILTIN_MARK))
        s.commit()
    app = HotlineApp(store, lang="zh", agent="a01")
    app.router.refresh()  # what it learned is current: the start's refresh will not reload it
    text = "自来水停了一整天，也没有通知"
    early = app.router.suggest(text, lang="zh")  # made with the older catalogue
    assert all(c.category != "heating_water" for c in early.categories)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.pause()
        top = app.router.suggest(text, lang="zh").categories[0]
    assert top.category == "heating_water"
    assert top.reasons[0].params == {"phrase": "自来水"}
