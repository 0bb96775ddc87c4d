"""A one-line title bar: the app's title and who is signed in, without Header's clock machinery."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar { dock: top; width: 1fr; height: 1; background: $panel; color: $foreground; text-style: bold;
               content-align: center middle; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "sub_title", self._update)  # called at once, then on each change

    def _update(self, *_: object) -> None:
        app = self.app
        self.update(Text(f"{app.title} — {app.sub_title}" if app.sub_title else app.title),
                    layout=False)  # one row, full width whatever it says
