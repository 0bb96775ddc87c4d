"""The bottom line: the few keys that matter on this screen, in the agent's language (which
ones, and in what order, is `agent_tui.actions`; the keys are the agent's own).

One Static redrawn only when the screen's keys change. (Textual's Footer rebuilds a widget per
key on every focus change: on a data-entry form that is every Tab.)
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from .. import actions


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; width: 1fr; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self._shown: tuple = ()
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._bindings_changed(self.screen)  # redrawn only if the width changed what fits

    def _bindings_changed(self, screen) -> None:
        if screen is not self.screen:
            return
        keys = [(self.app.get_key_display(binding), self.app.t(action.label), action.id)
                for binding, action in actions.bar(screen)]
        width = self.size.width or self.app.size.width - 2  # inside the padding
        shown = (tuple(keys), width)
        if shown == self._shown:
            return
        self._shown = shown
        # Whole entries only, never a label cut: when the keys do not fit, the screen's last
        # ones give way and F1 (every key) and the palette stay at the end.
        tail = [k for k in keys if k[2] == "help"] + [("^p", self.app.t("key.palette"), "")]
        head = [k for k in keys if k[2] != "help"]
        room = width + 2 - sum(_cells(k) for k in tail)  # the last entry needs no gap after it
        fitted = []
        for entry in head:
            if _cells(entry) > room:
                break
            fitted.append(entry)
            room -= _cells(entry)
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description, _id in [*fitted, *tail]:
            line.append(key, style="bold reverse")
            line.append(f" {description}  ")
        self.update(line, layout=False)  # one row, full width whatever it says: no relayout


def _cells(entry: tuple[str, str, str]) -> int:
    from rich.cells import cell_len

    return cell_len(entry[0]) + cell_len(entry[1]) + 3
