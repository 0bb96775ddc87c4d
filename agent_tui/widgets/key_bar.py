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
    KeyBar { dock: bottom; height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self._shown: tuple = ()
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if screen is not self.screen:
            return
        keys = [(self.app.get_key_display(binding), self.app.t(action.label))
                for binding, action in actions.bar(screen)]
        shown = tuple(keys)
        if shown == self._shown:
            return
        self._shown = shown
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description in [*keys, ("^p", self.app.t("key.palette"))]:
            line.append(key, style="bold reverse")
            line.append(f" {description}  ")
        self.update(line)
