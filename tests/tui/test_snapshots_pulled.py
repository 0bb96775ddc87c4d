"""Snapshots (80x24) of pulled cases the terminal must show safely: a long description a page at
a time, and a case full of control characters (shown as inert text), in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent_tui.app import HotlineApp
from tests.hostile.hostile_support import EVIL

from ..conftest import DEMO_END

CASE_ID = "0190f3a2-0000-7000-8000-000000000001"


def pull(store, description: str, case_no: str = "S01-260310-0001", name: str = "王女士") -> None:
    from sync.client.apply import apply_pull
    from sync.protocol import PullResponse

    at = DEMO_END - timedelta(hours=3)
    apply_pull(store, PullResponse(cursor=1, server_time=DEMO_END, cases=[dict(
        id=CASE_ID, case_no=case_no, created_at=at, updated_at=at, caller_phone="+8613812345678",
        caller_name=name, description=description, address="梦都大街1号", location_kind="public_road",
        category="street_light", lead_department="street_light_office", status="dispatched",
        due_at=at + timedelta(days=3))]))


async def open_case(pilot) -> None:
    from agent_tui.screens.case_view import CaseViewScreen

    pilot.app.push_screen(CaseViewScreen(CASE_ID))
    await pilot.pause()


def long_text() -> str:
    return "\n".join(f"第{i}段：路灯不亮，晚上很黑，老人小孩出行不便。Lamp {i} is out." for i in range(3000))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_long_pulled_case_page_two_80x24(snap_compare, store, lang):
    """The second page of a long description, and the line saying which page it is."""
    pull(store, long_text())

    async def run(pilot):
        await open_case(pilot)
        await pilot.press("right_square_bracket")
        await pilot.pause()

    assert snap_compare(HotlineApp(store, lang=lang, agent="a01"), terminal_size=(80, 24),
                        run_before=run)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hostile_pulled_case_80x24(snap_compare, store, lang):
    """ESC, OSC 52, C1 and bidi characters in the number, name and text: shown as inert text."""
    pull(store, "路灯不亮" + EVIL + "\nstreet light out", case_no="S01" + EVIL, name="王" + EVIL)
    assert snap_compare(HotlineApp(store, lang=lang, agent="a01"), terminal_size=(80, 24),
                        run_before=open_case)
