"""A whole call through the intake form, driven with Pilot; outcomes checked in the store."""

from __future__ import annotations

import io

from rich.console import Console
from sqlmodel import select
from textual import events
from textual.widgets import Input, Static, TextArea

from agent_tui.app import HotlineApp
from agent_tui.screens.drafts import DraftsScreen
from agent_tui.screens.intake import IntakeScreen
from agent_tui.screens.read_back import ReadBackScreen
from agent_tui.widgets.department_field import DepartmentField, DepartmentPickerScreen
from agent_tui.widgets.key_bar import KeyBar
from models.cases import file_case
from models.domain.case_shape import CaseDraft
from models.store.drafts import OPEN, Draft, open_drafts, ring
from models.store.tables import Case, CaseEvent

from .conftest import wait_for, workers_done


def shown(widget: Static) -> str:
    console = Console(width=200, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


async def settle(pilot, wait: float = 0.0) -> None:
    if wait:
        await pilot.pause(wait)
    await workers_done(pilot.app)
    await pilot.pause()


def saved_cases(store) -> list[Case]:
    with store.session() as s:
        return list(s.exec(select(Case).order_by(Case.created_at)).all())


async def test_a_whole_call_in_chinese_with_a_repeat_caller(store):
    earlier = file_case(store, CaseDraft(caller_phone="13812345678", caller_name="王女士",
                                         description="梦都大街路灯不亮", address="梦都大街",
                                         category="路灯", lead_department="路灯所"), "a00")
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, IntakeScreen) and app.focused.id == "phone"
        await pilot.press(*"138 1234 5678")
        await settle(pilot, 0.4)
        # The caller is known: the name fills in and the earlier case is on screen.
        assert screen.query_one("#name", Input).value == "王女士"
        assert "此前来电：1 次" in shown(screen.query_one("#prior-title", Static))
        assert screen.query_one("#prior").get_row_at(0)[0].plain == earlier.case_no
        await pilot.press("enter", "enter")  # past the name, into the description
        assert app.focused.id == "description"
        # An IME commits several characters at once: a paste.
        app.post_message(events.Paste("梦都大街的路灯还是不亮，\n已经两周了"))
        await pilot.pause()
        await pilot.press("tab", *"梦都大街18号", "enter")
        assert app.focused.id == "location_kind"
        for _ in range(4):  # location, category, urgency, disposition
            await pilot.press("enter")
        assert app.focused.id == "departments"
        await pilot.press(*"路灯所")  # the picker opens filtered; Enter makes it the lead
        await settle(pilot)
        assert isinstance(app.screen, DepartmentPickerScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#departments", DepartmentField).lead == "street_light_office"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Dispatch: the address is read back before anything is saved.
        assert isinstance(app.screen, ReadBackScreen)
        assert "梦 都 大 街 18 号" in shown(app.screen.query_one("#readback-address", Static))
        assert len(saved_cases(store)) == 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        new = saved_cases(store)[-1]
        assert "已保存 " + new.case_no in shown(screen.query_one("#status", Static))
        # The form is ready for the next call.
        assert screen.query_one("#phone", Input).value == ""
        assert screen.query_one("#description", TextArea).text == ""
        assert app.focused.id == "phone"
    assert new.description == "梦都大街的路灯还是不亮，\n已经两周了"
    assert (new.caller_phone, new.caller_name, new.address) == ("+8613812345678", "王女士", "梦都大街18号")
    assert new.lead_department == "street_light_office" and new.agent == "a01"
    assert open_drafts(store) == []  # the saved call's draft is closed


async def test_validation_errors_stay_on_screen_and_nothing_is_lost(store):
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press(*"call me", "enter", "enter", *"Pothole on Main Street")
        screen.query_one("#departments", DepartmentField).set_choice("construction")
        await pilot.press("ctrl+s")
        await settle(pilot)
        problems = shown(screen.query_one("#problems", Static))
        assert "contains letters" in problems and "Give the address" in problems
        assert app.focused.id == "phone" and screen.query_one("#phone").has_class("invalid")
        assert saved_cases(store) == []
        assert screen.query_one("#description", TextArea).text == "Pothole on Main Street"
        # Fix them and save.
        await pilot.press(*["backspace"] * 7, *"+1 212 555 0100", "tab", "tab", "tab")
        await pilot.press(*"186 25th Street", "enter")
        assert not screen.query_one("#phone").has_class("invalid")
        screen.query_one("#departments", DepartmentField).set_choice("construction")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen), shown(screen.query_one("#problems", Static))
        await pilot.press("escape")  # the caller corrects the address first
        await settle(pilot)
        assert app.focused.id == "address" and saved_cases(store) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
    [case] = saved_cases(store)
    assert case.caller_phone == "+12125550100" and case.lead_department == "construction"


async def test_answered_directly_needs_no_read_back(store):
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("enter", "enter", *"When is the library open?")
        screen.query_one("#disposition").value = "answered"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    [case] = saved_cases(store)
    assert case.status == "closed" and case.caller_withheld


async def test_a_crash_brings_the_call_back(store):
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"13900001111", "enter", *"李先生", "enter", *"化粪池漫溢 [bold]臭[/]")
        await settle(pilot, 0.4)  # the draft is written within a fraction of a second
    # The app is gone without saving (a crash, a closed terminal): a new one restores the call.
    [draft] = open_drafts(store, "a01")
    assert draft.case_draft.description == "化粪池漫溢 [bold]臭[/]"
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot)
        assert screen.query_one("#phone", Input).value == "13900001111"
        assert screen.query_one("#name", Input).value == "李先生"
        assert screen.query_one("#description", TextArea).text == "化粪池漫溢 [bold]臭[/]"
        assert "已恢复" in shown(screen.query_one("#status", Static))
    assert saved_cases(store) == []


async def test_a_ringing_phone_pops_a_new_call_and_keeps_the_one_in_progress(store):
    file_case(store, CaseDraft(caller_phone="13700002222", caller_name="戴先生", description="芦席营22号有马蜂窝",
                               disposition="redirect_owners"), "a00")
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press(*"13900001111", "enter", "enter", *"第一个来电还没说完")
        await settle(pilot, 0.3)
        await pilot.press("f4")  # the agent is looking at the case list when the phone rings
        ring(store, "137 0000 2222")
        # The ring is polled every RING_POLL s on a thread: on a loaded machine a poll may come
        # late, so wait for it rather than for a fixed time.
        await wait_for(pilot, lambda: app.screen is screen, 10)
        await settle(pilot, 0.8)  # the caller's lookup, debounced after the number fills in
        assert app.screen is screen
        assert screen.query_one("#phone", Input).value == "137 0000 2222"
        assert screen.query_one("#name", Input).value == "戴先生"
        assert screen.query_one("#description", TextArea).text == ""
        assert "草稿" in shown(screen.query_one("#status", Static))
        # The first call is waiting in the drafts; F3 goes back to it.
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DraftsScreen)
        assert app.screen.query_one("#drafts").row_count == 2
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.query_one("#description", TextArea).text == "第一个来电还没说完"
    with store.session() as s:
        drafts = s.exec(select(Draft).where(Draft.state == OPEN)).all()
    assert sorted(d.case_draft.caller_phone for d in drafts) == ["137 0000 2222", "13900001111"]


async def test_open_a_prior_case_from_the_panel(store):
    earlier = file_case(store, CaseDraft(caller_phone="13812345678", caller_name="[red]王[/red]",
                                         description="[link=http://x]路灯[/link] 不亮",
                                         disposition="answered"), "a00")
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"13812345678")
        await settle(pilot, 0.4)
        assert app.screen.query_one("#name", Input).value == "[red]王[/red]"
        row = app.screen.query_one("#prior").get_row_at(0)
        assert row[4].plain == "[link=http://x]路灯[/link] 不亮"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert earlier.case_no in shown(app.screen.query_one("#case-fields", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#phone", Input).value == "13812345678"


async def test_saved_case_has_its_created_event_and_note(store):
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("enter", "enter", *"Ask about recycling days")
        screen.query_one("#disposition").value = "answered"
        screen.query_one("#notes", Input).value = "read from the knowledge base"
        await pilot.press("ctrl+s")
        await settle(pilot)
    [case] = saved_cases(store)
    with store.session() as s:
        events_ = s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert sorted(e.kind for e in events_) == ["created", "note"]


async def test_fast_type_ahead_lands_in_the_right_fields(store):
    """Keys that arrive in one burst (a fast typist, a paste of keystrokes) follow Tab and Enter."""
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        burst = [*"123", "tab", *"王女士", "enter", *"路灯", "tab", *"湖南路"]
        for key in burst:  # posted back to back, as the terminal driver delivers a burst
            char = key if len(key) == 1 else None
            app.post_message(events.Key(key, char))
        await settle(pilot, 0.3)
        screen = app.screen
        assert screen.query_one("#phone", Input).value == "123"
        assert screen.query_one("#name", Input).value == "王女士"
        assert screen.query_one("#description", TextArea).text == "路灯"
        assert screen.query_one("#address", Input).value == "湖南路"


async def test_cases_sharing_one_common_word_are_not_shown_as_similar(store):
    """A water call on a store of oil-fume complaints: 家里 in common is no likeness, so the
    panel says there are none instead of listing eight unrelated cases."""
    for _ in range(3):
        file_case(store, CaseDraft(description="楼下饭店油烟直排，家里窗户都不敢开。", address="湖南路8号",
                                   lead_department="生态环境局"), "a00")
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("tab", "tab", *"家里自来水停了一整天了")
        await settle(pilot, 0.5)
        table = screen.query("#prior")  # (made when there is a row to show)
        assert not table or table.first().row_count == 0
        assert "没有相似的既往工单" in shown(screen.query_one("#prior-title", Static))
        assert "并入此单" not in shown(screen.query_one(KeyBar))  # F5: no case to attach to
        await pilot.press(*"，楼下饭店油烟也很大")
        await settle(pilot, 0.5)
        assert screen.query_one("#prior").row_count == 3
        assert "相似工单 3 件" in shown(screen.query_one("#prior-title", Static))
        assert "f5 并入此单" in shown(screen.query_one(KeyBar))


async def test_similar_cases_show_while_typing_and_the_call_attaches(store):
    """The seed's 19 hornet-nest calls: the agent sees the open case and attaches the new call."""
    first = file_case(store, CaseDraft(caller_phone="13900000001", caller_name="王女士",
                                       description="大杨村28号路边梧桐树上有一个马蜂窝",
                                       address="大杨村28号", location_kind="public_road",
                                       category="马蜂窝", lead_department="街道"), "a00")
    file_case(store, CaseDraft(description="咨询公积金提取", disposition="answered"), "a00")
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press(*"13700000002", "tab", "tab", *"大杨村路边树上有马蜂窝")
        await settle(pilot, 0.5)
        table = screen.query_one("#prior")
        assert table.get_row_at(0)[0].plain == first.case_no
        snippet = table.get_row_at(0)[4]
        assert any(span.style == "bold reverse" for span in snippet.spans)  # the matching words
        assert "相似工单" in shown(screen.query_one("#prior-title", Static))
        assert "马蜂" in shown(screen.query_one("#prior-why", Static))
        await pilot.press("f5")
        await settle(pilot)
        assert f"已并入工单 {first.case_no}" in shown(screen.query_one("#status", Static))
        assert screen.query_one("#description", TextArea).text == ""
    with store.session() as s:
        cases = s.exec(select(Case)).all()
        events_ = s.exec(select(CaseEvent).where(CaseEvent.case_id == first.id)
                         .where(CaseEvent.kind == "repeat_call")).all()
        attached = s.get(Case, first.id)
    assert len(cases) == 2  # no new work order
    assert attached.repeat_count == 1
    [event] = events_
    assert event.note == "大杨村路边树上有马蜂窝" and event.agent == "a01"
    assert event.data["caller_phone"] == "+8613700000002"
    assert open_drafts(store) == []


async def test_department_picker_takes_pinyin_initials_and_co_handlers(store):
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        screen.query_one("#departments").focus()
        await pilot.press(*"cgj")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentPickerScreen)
        await pilot.press("enter")  # 城市管理局 (城管局) as the lead
        await settle(pilot)
        field = screen.query_one("#departments", DepartmentField)
        assert field.lead == "chengguan"
        await pilot.press(*"jj")  # 交警: add it as co-handling, then close with Esc
        await settle(pilot)
        await pilot.press("ctrl+o", "escape")
        await settle(pilot)
        assert (field.lead, field.co) == ("chengguan", ["traffic_police"])
        assert "城市管理局 + 交通警察支队" in field.render().plain
        assert screen.collect().co_departments == ["traffic_police"]


async def test_routing_suggestion_and_due_date_appear_as_hints(demo_store):
    app = HotlineApp(demo_store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, 0.3)
        await pilot.press("tab", "tab", *"梦都大街路灯不亮，晚上很黑")
        await settle(pilot, 0.5)
        field = screen.query_one("#departments", DepartmentField)
        assert field.lead == ""  # a suggestion never fills the field by itself
        assert "建议" in field.render().plain and "路灯" in field.render().plain
        assert "个工作日" in shown(screen.query_one("#hint", Static))


async def test_at_80_columns_offline_the_saved_message_keeps_its_room(store):
    """An open case saved while the server is down, at 80 columns: the status row reads the
    whole message (it once read "Saved X: no", its end wrapped out of sight) beside a compact
    sync line (the queue's count; its age and the retry countdown are F7's); wide, all of it."""
    from sync.client.worker import SyncWorker

    from .conftest import screen_text

    app = HotlineApp(store, lang="en", agent="a01",
                     start_sync=lambda: SyncWorker(store, "http://127.0.0.1:9", "t0ken",
                                                   interval=0.5, poll=0.2).start())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.5)
        await pilot.press("enter", "enter", *"Pothole on the avenue, a car got a flat tire")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_for(pilot, lambda: "offline" in shown(app.screen.query_one("SyncStatusLine")))
        [case] = saved_cases(store)
        row = next(r for r in screen_text(app.export_screenshot()).splitlines() if "Saved" in r)
        assert f"Saved {case.case_no}: waits for dispatch (F6)" in row
        app.screen.status("Not saved (the disk is full, or it went away); the call is kept")
        await pilot.pause()
        row = next(r for r in screen_text(app.export_screenshot()).splitlines() if "saved" in r)
        assert row.startswith("Not saved (the disk is full, or it went away); the call …● offline")
        assert "● offline  1 queued" in row and "retry" not in row and "oldest" not in row
    app = HotlineApp(store, lang="en", agent="a01",
                     start_sync=lambda: SyncWorker(store, "http://127.0.0.1:9", "t0ken",
                                                   interval=0.5, poll=0.2).start())
    async with app.run_test(size=(130, 30)) as pilot:
        await wait_for(pilot, lambda: any(  # (mounted once the worker starts; connecting… first)
            "offline" in shown(w) for w in app.screen.query("SyncStatusLine")))
        row = next(r for r in screen_text(app.export_screenshot()).splitlines() if "●" in r)
        assert "● offline  1 queued, oldest" in row


def test_the_sync_line_is_compact_on_a_narrow_terminal():
    from agent_tui.widgets.sync_status import render_status
    from sync.client.worker import SyncStatus

    status = SyncStatus(state="offline", queue=3, oldest_age=125, retry_in=4.2)
    assert render_status(status, "en").plain == "● offline  3 queued, oldest 2m  retry in 4s"
    assert render_status(status, "zh", compact=True).plain == "● 离线  待发 3 件"


async def test_beside_the_form_the_prior_cases_take_two_lines_and_follow_a_resize(demo_store):
    """At 80 columns a case is one row of five columns; on a wide terminal, where the panel
    sits beside the form, two lines: the number over its age and state, and twice the text."""
    from textual.widgets import DataTable

    app = HotlineApp(demo_store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", "tab", *"The street light on the corner is out")
        await settle(pilot, 0.5)
        table = app.screen.query_one("#prior", DataTable)
        assert table.row_count and len(table.columns) == 5
        await pilot.resize_terminal(130, 32)
        await settle(pilot, 0.3)
        assert app.screen.has_class("-wide") and len(table.columns) == 3
        first = table.get_row_at(0)
        assert first[0].plain.count("\n") == 1 and first[0].plain.split("\n")[0].count("-") == 2
        assert table.ordered_rows[0].height == 2
        texts = [table.get_row_at(i)[2].plain for i in range(table.row_count)]
        assert all(t.count("\n") <= 1 for t in texts)  # two lines at most,
        assert any(t.endswith("…") for t in texts)  # and a cut one says so
        await pilot.resize_terminal(80, 24)
        await settle(pilot, 0.3)
        assert len(table.columns) == 5 and table.ordered_rows[0].height == 1


async def test_offline_queue_shows_and_quitting_warns(store):
    """The server is down (nothing listens on its port): calls are still taken, the status line
    says offline with the queue, and quitting warns that changes wait on this terminal."""
    from agent_tui.screens.quit_confirm import QuitConfirmScreen
    from sync.client.worker import SyncWorker

    app = HotlineApp(store, lang="en", agent="a01",
                     start_sync=lambda: SyncWorker(store, "http://127.0.0.1:9", "t0ken",
                                                   interval=0.5, poll=0.2).start())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, 0.5)
        await pilot.press("enter", "enter", *"Library opening hours?")
        screen.query_one("#disposition").value = "answered"
        await pilot.press("ctrl+s")
        await settle(pilot, 1.5)
        assert app.sync_worker.pending() >= 1
        line = shown(screen.query_one("SyncStatusLine"))
        assert "offline" in line.lower()
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitConfirmScreen)
        assert "not on the server yet" in shown(app.screen.query_one(Static))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen  # still taking calls
    assert len(saved_cases(store)) == 1


async def test_a_call_saved_without_a_department_waits_for_dispatch(store):
    """No department chosen: the case is filed open, for a lead to dispatch, with no read-back."""
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press(*"13812345678", "enter", "enter", *"Street light out", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ReadBackScreen)
        await workers_done(app)
        await settle(pilot)
        cases = saved_cases(store)
        assert [(c.status, c.lead_department, c.due_at) for c in cases] == [("open", "", None)]
        assert "waits for dispatch" in shown(screen.query_one("#status", Static))


async def test_enter_accepts_each_suggestion_the_seed_hornet_call_in_eleven_keys(store):
    """The seed's hornet nest on a road: Enter takes the suggested category, then the suggested
    lead with both co-handlers; the key bar says so while a suggestion is on the focused field."""
    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press(*"13812345678", "enter", *"王女士", "enter")
        app.post_message(events.Paste("大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险"))
        await pilot.pause()
        await pilot.press("tab", *"大杨村28号", "enter", "enter")
        await settle(pilot, 0.5)
        assert app.focused.id == "category"
        assert "采纳" in str(screen.query_one("KeyBar").content)
        await pilot.press("enter")  # accept 马蜂窝, on to urgency
        await settle(pilot)
        assert app.focused.id == "urgency"
        assert "采纳" not in str(screen.query_one("KeyBar").content)  # nothing to accept here
        await pilot.press("enter", "enter")
        field = screen.query_one("#departments", DepartmentField)
        assert app.focused is field and "建议（回车采纳）：街道办事处" in field.render().plain
        await pilot.press("enter")  # the street office, with the traffic police and fire brigade
        await settle(pilot)
        assert app.focused.id == "notes"
        assert field.lead == "street_office"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen)
        await pilot.press("enter")
        await settle(pilot)
    [case] = saved_cases(store)
    assert case.category == "hornet_nest"
    assert case.lead_department == "street_office"
    assert set(case.co_departments) == {"traffic_police", "fire_brigade"}


async def test_enter_on_a_chosen_field_only_moves_on(store):
    """A field the agent has filled keeps its value: Enter is "next field" there."""
    app = HotlineApp(store, lang="en", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("tab", "tab", *"There is a hornet nest in the tree by the road")
        await settle(pilot, 0.5)
        screen.query_one("#departments", DepartmentField).set_choice("chengguan")
        screen.query_one("#departments").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused.id == "notes"
        field = screen.query_one("#departments", DepartmentField)
        assert (field.lead, field.co) == ("chengguan", [])


async def test_the_category_and_department_lists_open_on_the_suggestion(store):
    from textual.widgets import OptionList

    from agent_tui.widgets.form_fields import ChoicePopup

    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("tab", "tab")
        app.post_message(events.Paste("大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险"))
        await settle(pilot, 0.5)
        screen.query_one("#category").focus()
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePopup)
        listing = app.screen.query_one(OptionList)
        assert listing.get_option_at_index(listing.highlighted).id == "hornet_nest"
        await pilot.press("escape")
        await settle(pilot)
        screen.query_one("#departments").focus()
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, DepartmentPickerScreen)
        options = app.screen.query_one("#picker-options", OptionList)
        assert options.get_option_at_index(options.highlighted).id == "street_office"


async def test_the_location_kind_the_text_names_is_offered_in_place_of_other(store):
    """路边 names a public road: the location field shows it in place of its "other" until the
    agent chooses; Enter takes it (and moves on), the list opens on it; a kind the agent chose,
    "other" included, stays; the next call starts over."""
    from textual.widgets import OptionList

    from agent_tui.widgets.form_fields import ChoiceField, ChoicePopup

    app = HotlineApp(store, lang="zh", agent="a01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        place = screen.query_one("#location_kind", ChoiceField)
        await pilot.press("tab", "tab")
        app.post_message(events.Paste("大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险"))
        await settle(pilot, 0.5)
        place.focus()
        await settle(pilot)
        assert place.render().plain.startswith("建议：市政道路")
        assert "采纳" in str(screen.query_one("KeyBar").content)
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePopup)
        listing = app.screen.query_one(OptionList)
        assert listing.get_option_at_index(listing.highlighted).id == "public_road"
        await pilot.press("escape")  # nothing chosen: the suggestion stands
        await settle(pilot)
        assert place.offered == "public_road"
        await pilot.press("enter")
        await settle(pilot)
        assert (place.value, app.focused.id) == ("public_road", "category")
        assert place.render().plain.startswith("市政道路")
        # The agent's own choice stands, even "other": Enter on it only moves on.
        place.focus()
        await pilot.press("space")
        await settle(pilot)
        await pilot.press(*"其他", "enter")
        await settle(pilot)
        assert place.value == "other" and place.offered == ""
        assert place.render().plain.startswith("其他")
        await pilot.press("enter")
        await settle(pilot)
        assert (place.value, app.focused.id) == ("other", "category")
        # A new call: nobody has chosen, and no text names a place yet.
        await pilot.press("f2")
        await settle(pilot)
        assert (place.value, place.chosen, place.offered) == ("other", False, "")
        await pilot.press("tab", "tab")
        app.post_message(events.Paste("路边梧桐树上有一个马蜂窝"))
        await settle(pilot, 0.5)
        assert place.offered == "public_road"


def test_read_back_spaces_han_characters_and_keeps_latin_words_whole():
    """Each Han character apart (one misread character sent an officer to the wrong compound);
    numbers and Latin words whole, so that an English address reads as words."""
    from agent_tui.screens.read_back import spaced

    assert spaced("大杨村28号").plain == "大 杨 村 28 号"
    assert spaced("350 W 42nd St").plain == "350 W 42nd St"
    assert spaced("No.28 龙蟠中路").plain == "No.28 龙 蟠 中 路"
    assert spaced("阳光小区2-301室").plain == "阳 光 小 区 2-301 室"
    assert spaced("[red]x[/red]").plain == "[ red ] x [ / red ]"  # literal, not markup
