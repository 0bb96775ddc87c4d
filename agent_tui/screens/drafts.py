"""F3: calls not yet saved (put aside by a ringing phone, or left by a crash); Enter resumes one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from models.domain.phone import PhoneError, normalise_phone
from models.domain.text import snippet

from ..actions import bindings
from ..display import plain, short_time
from ..widgets.key_bar import KeyBar
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen


class DraftsScreen(HotlineScreen[str | None]):
    SCOPE = "drafts"
    BINDINGS = bindings(SCOPE)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(Text(self.app.t("drafts.title"), style="bold"), id="drafts-title")
        yield DataTable(id="drafts", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        from models.store.drafts import open_drafts

        t = self.app.t
        table = self.query_one(DataTable)
        table.add_column(t("drafts.col.updated"), width=11)
        table.add_column(t("col.caller"), width=16)
        table.add_column(t("col.summary"))
        drafts = [d for d in open_drafts(self.app.store, self.app.agent) if not d.is_empty()]
        for draft in drafts:
            case = draft.case_draft
            table.add_row(Text(short_time(draft.updated_at)),
                          Text(plain(_phone(case.caller_phone) + " " + case.caller_name)),
                          Text(plain(snippet(case.description or case.address, 60))), key=draft.id)
        if not drafts:
            self.query_one("#drafts-title", Static).update(Text(t("drafts.empty")))
        table.focus()

    @on(DataTable.RowSelected)
    def _resume(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    def action_back(self) -> None:
        self.dismiss(None)


def _phone(raw: str) -> str:
    try:
        phone = normalise_phone(raw)
    except PhoneError:
        return raw
    return phone.display() if not phone.withheld else ""
