"""The department picker in a tiny host app at 80×24: filter by pinyin, choose lead and co."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer, Input, OptionList

from agent_tui.widgets.department_picker import DepartmentPicker
from models.routing import Router


class PickerHost(App[None]):
    def __init__(self, departments, suggestions=None, lang: str = "zh") -> None:
        super().__init__()
        self.departments, self.suggestions, self.lang_ = departments, suggestions, lang
        self.changes: list[tuple[str, tuple[str, ...]]] = []

    def compose(self) -> ComposeResult:
        yield DepartmentPicker(self.departments, lang=self.lang_, id="picker")
        yield Footer()

    def on_mount(self) -> None:
        picker = self.query_one(DepartmentPicker)
        picker.set_suggestions(self.suggestions)
        picker.focus()

    def on_department_picker_changed(self, event: DepartmentPicker.Changed) -> None:
        self.changes.append((event.lead, event.co))


@pytest.fixture
def router(store):
    r = Router.for_store(store)
    yield r
    r.close()


def host(router, text: str = "", lang: str = "zh") -> PickerHost:
    suggestions = router.suggest(text, lang=lang) if text else None
    return PickerHost(list(router.catalogue.departments.values()), suggestions, lang)


async def test_pinyin_initials_filter_and_choose_lead_and_co(router):
    app = host(router)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"cgj")
        options = app.query_one(OptionList)
        assert options.option_count == 1 and options.get_option_at_index(0).id == "chengguan"
        await pilot.press("enter")
        assert app.changes[-1] == ("chengguan", ())
        app.query_one(Input).value = ""
        await pilot.press(*"jj")  # 交警
        await pilot.pause()
        assert options.get_option_at_index(0).id == "traffic_police"
        await pilot.press("ctrl+o")
        assert app.changes[-1] == ("chengguan", ("traffic_police",))
        await pilot.press("ctrl+o")  # again: no longer co-handling
        assert app.changes[-1] == ("chengguan", ())
        await pilot.press("ctrl+r")
        assert app.changes[-1] == ("", ())


async def test_suggestions_come_first_and_enter_takes_the_top_one(router):
    app = host(router, "大杨村28号路边梧桐树上有一个马蜂窝")
    async with app.run_test(size=(80, 24)) as pilot:
        options = app.query_one(OptionList)
        assert options.get_option_at_index(0).id == "street_office"
        await pilot.press("down", "ctrl+o", "up", "enter")
        lead, co = app.changes[-1]
        assert lead == "street_office" and len(co) == 1


async def test_no_match_says_so(router):
    app = host(router, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"qqqq")
        options = app.query_one(OptionList)
        assert options.option_count == 1
        assert "qqqq" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        assert app.changes == []


def test_picker_with_suggestions_80x24(snap_compare, router):
    """Suggestions for a hornet nest on a road, with reasons; lead and co-handling chosen."""
    app = host(router, "大杨村28号路边梧桐树上有一个马蜂窝")

    async def run(pilot):
        app.query_one(Input).cursor_blink = False
        await pilot.press("enter", "down", "ctrl+o")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


async def test_enter_on_the_suggested_lead_takes_its_co_handlers_too(router):
    app = host(router, "大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        lead, co = app.changes[-1]
        assert lead == "street_office" and set(co) == {"traffic_police", "fire_brigade"}
