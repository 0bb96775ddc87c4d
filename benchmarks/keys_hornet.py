"""Keys the seed's hornet-nest call needs beyond the text typed, counted by driving the form.

    python benchmarks/keys_hornet.py [--root /path/to/a/checkout] [--way before|after]

The seed (../shared/seeds/): 王女士 reports a hornet nest in a roadside plane tree at 大杨村28号;
the street office leads, with the traffic police and the fire brigade (街道联合交警、消防). The
agent agrees with every suggestion. The form is driven with Textual's Pilot on a fresh store (the
default catalogue and rules), key by key; the text (number, name, description, address) goes in
as typed text (the description as one IME commit) and is not counted; every other key is. The
saved case is read back from the store and checked: hornet_nest, street_office, both co-handlers.

`--way before`: the shortest path on a checkout without one-key accepting (the category list
opens on its suggestion, Enter picks it; the department picker's Enter takes the lead only, so
the co-handlers are added one by one with Ctrl+O). `--way after`: Enter on each suggested field.
Run `before` with `--root` pointing at a checkout of main.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

PHONE, NAME = "13812345678", "王女士"
DESCRIPTION = "大杨村28号路边梧桐树上有一个马蜂窝，行人经过很危险"
ADDRESS = "大杨村28号"
TEXT = object()  # marks typed text in a script (not counted)

# Keys after the text; each entry is a key, or (TEXT, what) for text typed.
BEFORE = [
    (TEXT, PHONE), "enter", (TEXT, NAME), "enter", (TEXT, DESCRIPTION), "tab", (TEXT, ADDRESS),
    "enter",  # -> location kind
    "enter",  # -> category
    "space", "enter",  # open the list (on the suggestion), take it
    "enter", "enter", "enter",  # -> urgency, disposition, departments
    "space", "enter",  # open the picker (suggestions on top), the lead
    "space", "down", "ctrl+o", "down", "ctrl+o", "escape",  # the co-handlers one by one
    "ctrl+s", "enter",  # save, confirm the read-back address
]
AFTER = [
    (TEXT, PHONE), "enter", (TEXT, NAME), "enter", (TEXT, DESCRIPTION), "tab", (TEXT, ADDRESS),
    "enter",  # -> location kind
    "enter",  # -> category
    "enter",  # accept the suggested category, on to urgency
    "enter", "enter",  # -> disposition, departments
    "enter",  # accept the suggested lead with its co-handlers
    "ctrl+s", "enter",  # save, confirm the read-back address
]


async def drive(script: list, lang: str = "zh") -> tuple[int, object]:
    from sqlmodel import select
    from textual import events

    from agent_tui.app import HotlineApp
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store
    from models.store.tables import Case

    store = open_store(Path(tempfile.mkdtemp(prefix="hotline-keys-")) / "data")
    store.set_meta("terminal_prefix", "T01")
    with store.writer() as session:
        ensure_catalogue(session)
    app = HotlineApp(store, lang=lang, agent="a01")
    keys = 0
    async with app.run_test(size=(80, 24)) as pilot:
        for step in script:
            if isinstance(step, tuple):
                app.post_message(events.Paste(step[1]))  # text, as an IME commits it
            else:
                await pilot.press(step)
                keys += 1
            await pilot.pause(0.3)  # the agent's pace: lookups answer between keys
            await app.workers.wait_for_complete()
            await pilot.pause()
    with store.session() as s:
        case = s.exec(select(Case)).first()
    store.close()
    return keys, case


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--way", choices=("before", "after"), default="after")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    keys, case = asyncio.run(drive(BEFORE if args.way == "before" else AFTER))
    if case is None:
        sys.exit("no case was saved: the script does not fit this checkout")
    import agent_tui

    print(f"{args.way} ({Path(agent_tui.__file__).parent.parent}): {keys} keys beyond the text; saved "
          f"category={case.category} lead={case.lead_department} co={case.co_departments} "
          f"location={case.location_kind}")
    ok = (case.category == "hornet_nest" and case.lead_department == "street_office"
          and set(case.co_departments) == {"traffic_police", "fire_brigade"})
    if not ok:
        sys.exit("the saved case is not the seed's routing")


if __name__ == "__main__":
    main()
