"""When Python's cyclic garbage collector runs in the terminal's process.

Starting the terminal makes some 150,000 objects (modules, styles, widgets, the form) that live
as long as it does, and the collector went over them again and again while they were made:
about 20 ms of a 200 ms cold start. So the `hotline` command pauses it on its first line
(`agent_tui.launch`); the TUI resumes it once its first frame is drawn, and every other command
before it runs. Resuming freezes what exists by then: later collections skip it for good.
A program that imports the app itself (the tests) keeps its collector as it is.
"""

from __future__ import annotations

import gc


def pause() -> None:
    gc.disable()


def resume() -> None:
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
