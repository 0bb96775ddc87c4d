"""Long caller text shown a page at a time (a pulled case may carry megabytes of description).

Only the page on screen is cleaned, wrapped and drawn, so a 7 MB description opens as fast as a
short one; the case view pages on with `]` and back with `[` (actions `next_page` and
`prev_page`), and says which page it shows.
"""

from __future__ import annotations

from rich.text import Text

from ..display import literal

PAGE_CHARS = 3_000  # about two screens of Chinese at 80 columns


class TextPages:
    """`text` cut into pages of at most `size` characters, at a line end where one is near."""

    def __init__(self, text: str, size: int = PAGE_CHARS) -> None:
        self.text = text or ""
        self.size = size
        self.starts = [0]
        at = 0
        while len(self.text) - at > size:
            end = at + size
            newline = self.text.rfind("\n", at + size // 2, end)
            at = newline + 1 if newline >= 0 else end
            self.starts.append(at)
        self.index = 0

    @property
    def count(self) -> int:
        return len(self.starts)

    def turn(self, delta: int) -> bool:
        """Move `delta` pages; False when there is no such page."""
        index = self.index + delta
        if not 0 <= index < self.count:
            return False
        self.index = index
        return True

    def page(self) -> str:
        start = self.starts[self.index]
        end = self.starts[self.index + 1] if self.index + 1 < self.count else len(self.text)
        return self.text[start:end]

    def render(self, header: str = "") -> Text:
        """The page on screen, cleaned; `header` (e.g. "page 1 of 2,334: ] next") above it,
        when there are several pages."""
        page = literal(self.page(), one_line=False)
        if self.count < 2 or not header:
            return page
        return Text(header, style="dim reverse") + Text("\n") + page
