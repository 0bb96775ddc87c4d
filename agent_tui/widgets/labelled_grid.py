"""A grid of form fields that draws each field's label itself, in the cells before the field.

A label as a widget of its own costs about a millisecond of the cold start (composed, mounted,
styled, laid out, drawn); the intake form has ten. Here they are text on the grid's own lines,
placed from where the layout put each field, so the grid's columns stay in its CSS alone.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.containers import Grid
from textual.strip import Strip


class LabelledGrid(Grid):
    """`labels` maps a field's id to its label. A label starts one cell after the field before
    it on the same row (that field's right margin included), or at the grid's left edge, and is
    cut where its field begins."""

    COMPONENT_CLASSES = {"labelled-grid--label"}
    DEFAULT_CSS = """
    LabelledGrid > .labelled-grid--label { color: $text-muted; }
    """

    def __init__(self, *children, labels: dict[str, str], **kwargs) -> None:
        super().__init__(*children, **kwargs)
        self.labels = labels

    def _placed(self, y: int) -> list[tuple[int, int, str]]:
        """(start, room, label) of the labels on content row `y`, left to right."""
        origin = self.content_region
        row = []
        for child in self.children:
            region = child.region
            if region.y - origin.y == y and child.display:
                row.append((region.x - origin.x, region.right - origin.x
                            + child.styles.margin.right, child.id))
        row.sort()
        placed = []
        previous_end = None
        for x, end, field_id in row:
            label = self.labels.get(field_id or "")
            start = 0 if previous_end is None else previous_end + 1
            if label and x > start:
                placed.append((start, x - start, label))
            previous_end = end
        return placed

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        blank = self.rich_style  # the grid's own colours, background included
        style = blank + self.get_component_rich_style("labelled-grid--label")
        segments: list[Segment] = []
        at = 0
        for start, room, label in self._placed(y):
            if start > at:
                segments.append(Segment(" " * (start - at), blank))
            text = Strip([Segment(label, style)]).crop(0, room)
            segments.extend(text)
            at = start + min(cell_len(label), room)
        if width > at:
            segments.append(Segment(" " * (width - at), blank))
        return Strip(segments, max(width, at)).crop(0, width)
