"""Issue 10: the same hostile pulled case on every screen that shows case data. What the
compositor would write (every segment of every line of the screen) holds no control or bidi
character, and the case's visible text is still there."""

from __future__ import annotations

import pytest

from agent_tui.app import HotlineApp
from tests.tui.conftest import workers_done

from .hostile_support import DEPT, VISIBLE, leaks, put_hostile_case


def screen_text(app) -> str:
    """Every character the screen's segments carry, line by line (what reaches the terminal,
    less the styles' own escape codes)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()
    await workers_done(pilot.app)
    await pilot.pause()


def check(app, where: str) -> str:
    shown = screen_text(app)
    assert leaks(shown) == [], (where, shown)
    return shown


@pytest.fixture
def hostile(store):
    return store, put_hostile_case(store)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_case_list_and_case_view(hostile, lang):
    from agent_tui.screens.case_view import CaseViewScreen

    store, case_id = hostile
    app = HotlineApp(store, lang=lang, agent="a01")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        assert VISIBLE in check(app, "case list")
        app.push_screen(CaseViewScreen(case_id))
        await settle(pilot)
        assert isinstance(app.screen, CaseViewScreen)
        shown = check(app, "case view")
        assert f"{VISIBLE}-description" in shown and f"{VISIBLE}-note" in shown
        assert "evil" in shown  # the text inside the bidi override is shown, in order


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_lead_review_queue_and_scoreboard(hostile, lang):
    from textual.widgets import OptionList

    store, _ = hostile
    app = HotlineApp(store, lang=lang, agent="lead")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        views = app.screen.query_one("#lead-views", OptionList)
        seen = ""
        for index in range(views.option_count):  # every queue, the scoreboard, the hot spots
            views.highlighted = index
            await settle(pilot)
            seen += check(app, f"lead view {index}")
        assert VISIBLE in seen


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_sync_queue_screen(hostile, lang):
    store, _ = hostile
    app = HotlineApp(store, lang=lang, agent="a01")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await settle(pilot)
        shown = check(app, "queue")
        assert f"{VISIBLE}-rejected" in shown and f"{VISIBLE}-last-error" in shown


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_intake_prior_cases_and_department_hint(hostile, lang):
    from agent_tui.widgets.department_field import DepartmentField

    store, _ = hostile
    app = HotlineApp(store, lang=lang, agent="a01")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(*"13912345678")  # the hostile case's caller: the prior-cases panel
        await pilot.press("tab", "tab", *"HOSTILE description street light")
        await settle(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        shown = check(app, "intake with prior cases")
        assert VISIBLE in shown
        field = app.screen.query_one("#departments", DepartmentField)
        field.set_choice(DEPT, [DEPT, "street_light_office"])  # the pulled department, chosen
        field.hint = app.screen.query_one("#departments", DepartmentField).labels.get(DEPT, "")
        await settle(pilot)
        shown = check(app, "intake with the pulled department")
        assert VISIBLE in shown
        field.action_open()  # the picker lists every department, the pulled one among them
        await settle(pilot)
        check(app, "department picker")
