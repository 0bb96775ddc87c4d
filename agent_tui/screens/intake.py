"""The intake form: the screen an agent lives in during a call.

Fields come in a fixed order (scripts and tests rely on it): phone, name, description, address,
location kind, category, urgency, disposition, departments, notes. Tab or Enter moves on (Enter
is a new line inside the description); Ctrl+S saves from any field. Every change is kept as a
draft in the local store, so nothing typed is lost to a crash or a ringing phone.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from models.domain.case_draft import CaseDraft, is_blank
from models.domain.enums import Disposition, LocationKind, Urgency
from models.domain.messages import ValidationFailed

from ..actions import bindings
from ..widgets.department_field import DepartmentField
from ..widgets.form_fields import ChoiceField
from ..widgets.key_bar import KeyBar
from ..widgets.prior_cases import PriorCase, PriorCasesPanel
from ..widgets.title_bar import TitleBar
from .base import HotlineScreen

PRIOR_LIMIT = 8  # rows in the prior-cases panel
DRAFT_DELAY = 0.15  # seconds of quiet before the draft is written: short, so little is at risk
LOOKUP_DELAY = 0.25
WIDE = 120  # from this width the prior-cases panel sits beside the form

FIELD_IDS = {  # CaseDraft field -> widget id, in form order
    "caller_phone": "phone", "caller_name": "name", "description": "description",
    "address": "address", "location_kind": "location_kind", "category": "category",
    "urgency": "urgency", "disposition": "disposition", "lead_department": "departments",
    "co_departments": "departments", "notes": "notes",
}


class IntakeScreen(HotlineScreen[None]):
    AUTO_FOCUS = "#phone"  # focused as the screen composes: the first keystroke is the phone's
    DEFAULT_CSS = """
    IntakeScreen #intake-body { layout: vertical; height: 1fr; }
    IntakeScreen.-wide #intake-body { layout: horizontal; }
    IntakeScreen #form { height: auto; padding: 0 1; }
    IntakeScreen.-wide #form { width: 72; }
    IntakeScreen.-wide PriorCasesPanel { border-top: none; border-left: solid $primary-darken-2; }
    IntakeScreen #fields {
        grid-size: 4; grid-columns: 9 1fr 10 1fr; grid-rows: 1 4 1 1 1 1 1; height: auto;
    }
    IntakeScreen #fields .wide { column-span: 3; }
    IntakeScreen #description { height: 4; }
    IntakeScreen .label { color: $text-muted; }
    IntakeScreen .label2 { color: $text-muted; padding-left: 1; }
    IntakeScreen ChoiceField { margin-right: 1; }
    IntakeScreen .invalid { background: $error 30%; }
    IntakeScreen #problems { color: $text-error; height: auto; padding: 0 1; }
    IntakeScreen #status-row { height: 1; }
    IntakeScreen #status { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
    IntakeScreen SyncStatusLine { width: auto; }
    """

    SCOPE = "intake"
    BINDINGS = [
        *bindings(SCOPE),
        # Priority bindings run in the app's own queue, before the keys typed after them are
        # handed to a field: fast type-ahead ("123<Tab>王女士") lands in the right fields.
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.draft_id: str | None = None
        self._written = CaseDraft()  # the form as last written to its draft
        self._draft_timer: Timer | None = None
        self._lookup_timer: Timer | None = None
        self._refocus: str | None = None
        self._dept_labels: dict[str, str] = {}  # filled by load_reference
        self._due_days: dict[str, int] = {}  # category code -> working days, from the catalogue

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = self.app.t
        lang = self.app.lang
        yield TitleBar()
        with Vertical(id="intake-body"):
            with Vertical(id="form"):
                # One grid, no row containers: fewer widgets, a faster first frame.
                with Grid(id="fields"):
                    yield Static(t("intake.phone"), classes="label")
                    yield Input(id="phone", placeholder=t("intake.phone_placeholder"), compact=True)
                    yield Static(t("intake.name"), classes="label2")
                    yield Input(id="name", compact=True)
                    yield Static(t("intake.description"), classes="label")
                    yield TextArea(id="description", compact=True, soft_wrap=True, classes="wide",
                                   tab_behavior="focus", placeholder=t("intake.description_placeholder"))
                    yield Static(t("intake.address"), classes="label")
                    yield Input(id="address", placeholder=t("intake.address_placeholder"),
                                compact=True, classes="wide")
                    yield Static(t("intake.location_kind"), classes="label")
                    yield ChoiceField(_choices(LocationKind, lang), id="location_kind",
                                      value=LocationKind.OTHER.value, allow_blank=False)
                    yield Static(t("intake.category"), classes="label2")
                    yield ChoiceField([], id="category", prompt=t("intake.category_prompt"))
                    yield Static(t("intake.urgency"), classes="label")
                    yield ChoiceField(_choices(Urgency, lang), id="urgency",
                                      value=Urgency.NORMAL.value, allow_blank=False)
                    yield Static(t("intake.disposition"), classes="label2")
                    yield ChoiceField(_choices(Disposition, lang), id="disposition",
                                      value=Disposition.DISPATCH.value, allow_blank=False)
                    yield Static(t("intake.departments"), classes="label")
                    yield DepartmentField(id="departments", classes="wide",
                                          placeholder=t("intake.departments_placeholder"))
                    yield Static(t("intake.notes"), classes="label")
                    yield Input(id="notes", compact=True, classes="wide")
                yield Static(id="hint")
                yield Static(id="problems")
            yield PriorCasesPanel(id="prior-panel")
        with Horizontal(id="status-row"):
            yield Static(Text(t("intake.ready")), id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.set_focus(self.query_one("#phone"))  # now, not later: the app may be ready first

    def on_key(self, event) -> None:
        """A character that reaches the screen itself was typed before any field had focus (the
        first keystroke at start-up; a focused field keeps its characters): it goes to the field
        that has focus now, or to the phone."""
        if not (event.is_printable and event.character):
            return
        target = self.focused if isinstance(self.focused, Input) else None
        if self.focused is None or target is not None:
            target = target or self.query_one("#phone", Input)
            target.focus()
            target.insert_text_at_cursor(event.character)
            event.stop()

    @work(thread=True, group="reference")
    def load_reference(self) -> None:
        """Catalogue choices and an unsaved call to restore, read off the UI thread: the form is
        on screen, and taking keystrokes, before the store's ORM has even loaded."""
        from models.reference.catalogue import ensure_catalogue
        from models.reference.views import category_choices, category_due_days, departments
        from models.store.drafts import open_drafts

        with self.app.store.writer() as session:
            ensure_catalogue(session)  # a new terminal's store gets the default catalogue
        lang = self.app.lang
        choices = category_choices(self.app.store, lang)
        depts = departments(self.app.store)
        self._due_days = category_due_days(self.app.store)
        drafts = [d for d in open_drafts(self.app.store, self.app.agent) if not d.is_empty()]
        self.app.call_from_thread(self._reference_loaded, choices, depts, drafts[:1])
        self.app.router.refresh()  # learn what was saved or synced since the last start

    def _reference_loaded(self, choices, depts, drafts) -> None:
        from models.reference.catalogue import department_label

        self._dept_labels = {d.code: department_label(d, self.app.lang) for d in depts}
        field = self.query_one("#departments", DepartmentField)
        field.departments, field.labels = depts, self._dept_labels
        field.refresh()
        category = self.query_one("#category", ChoiceField)
        current = _value(category)
        category.set_options(choices)
        _choose(category, current)
        if not drafts:
            return
        from ..display import full_time

        latest = drafts[0]
        if self.draft_id is None and is_blank(self.collect()):
            self.resume(latest.id, latest.case_draft)
            self._status(self.app.t("intake.restored", time=full_time(latest.updated_at)))
        else:  # the agent is already on a new call: the old one waits in Drafts
            self._status(self.app.t("intake.put_aside"))

    def watch_sync(self, worker) -> None:
        """Online / sending / offline, the queue and its oldest age, at the end of the status row."""
        from ..widgets.sync_status import SyncStatusLine

        line = SyncStatusLine(self.app.lang)
        self.query_one("#status-row").mount(line)
        line.watch_worker(worker)

    def on_resize(self, event) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width >= WIDE, "-wide")

    # --- reading and writing the form ---------------------------------------------------------
    def collect(self) -> CaseDraft:
        q = self.query_one
        departments = q("#departments", DepartmentField)
        return CaseDraft(
            caller_phone=q("#phone", Input).value, caller_name=q("#name", Input).value,
            description=q("#description", TextArea).text, address=q("#address", Input).value,
            location_kind=_value(q("#location_kind", ChoiceField)),
            category=_value(q("#category", ChoiceField)),
            urgency=_value(q("#urgency", ChoiceField)),
            disposition=_value(q("#disposition", ChoiceField)),
            lead_department=departments.lead, co_departments=list(departments.co),
            notes=q("#notes", Input).value,
        )

    def fill(self, draft: CaseDraft) -> None:
        self._written = draft  # what the form now shows is what the draft holds
        q = self.query_one
        q("#phone", Input).value = draft.caller_phone
        q("#name", Input).value = draft.caller_name
        q("#description", TextArea).text = draft.description
        q("#address", Input).value = draft.address
        _choose(q("#location_kind", ChoiceField), draft.location_kind or LocationKind.OTHER.value)
        _choose(q("#category", ChoiceField), draft.category)
        _choose(q("#urgency", ChoiceField), draft.urgency or Urgency.NORMAL.value)
        _choose(q("#disposition", ChoiceField), draft.disposition or Disposition.DISPATCH.value)
        q("#departments", DepartmentField).set_choice(draft.lead_department, draft.co_departments)
        q("#notes", Input).value = draft.notes
        self._clear_problems()

    # --- drafts: every change is kept ---------------------------------------------------------
    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(ChoiceField.Changed)
    @on(DepartmentField.Changed)
    def _changed(self, event) -> None:
        widget = event.control if hasattr(event, "control") else event.text_area
        widget.remove_class("invalid")
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self.keep_draft)
        if widget.id in ("phone", "description", "address", "location_kind", "category",
                         "urgency", "departments"):
            if self._lookup_timer is not None:
                self._lookup_timer.stop()
            self._lookup_timer = self.set_timer(LOOKUP_DELAY, self._lookup)

    def keep_draft(self) -> None:
        """Write the form to its draft now (also called before anything that leaves the form)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        from models.domain.ids import new_id

        draft = self.collect()
        if draft == self._written:
            return  # nothing typed since (a form being filled from a draft fires changes too)
        if self.draft_id is None:
            if is_blank(draft):
                return
            self.draft_id = new_id()
        self.app.drafts.put(self.draft_id, self.app.agent, draft)  # written off the UI thread
        self._written = draft

    def resume(self, draft_id: str, draft: CaseDraft) -> None:
        """Back to a call put aside; the one on screen (if any) goes to Drafts."""
        self.keep_draft()
        self.draft_id = draft_id
        self.fill(draft)
        self._lookup()
        self.query_one("#phone").focus()

    # --- new calls ----------------------------------------------------------------------------
    def start_call(self, number: str = "") -> None:
        """A fresh form; the call in progress (if any) stays in Drafts."""
        self.keep_draft()
        kept = self.draft_id is not None
        self.draft_id = None
        self.fill(CaseDraft(caller_phone=number))
        self.query_one(PriorCasesPanel).show([], self.app.t("intake.no_prior"))
        if number:
            self.query_one("#description").focus()
            self.call_after_refresh(self._lookup)
            self.call_after_refresh(self.keep_draft)
            self._status(self.app.t("intake.ringing", number=number) if kept else
                         self.app.t("intake.history", n="…"))
        else:
            self.query_one("#phone").focus()
            self._status(self.app.t("intake.put_aside") if kept else self.app.t("intake.ready"))

    def resume_chosen(self, draft_id: str | None) -> None:
        from models.store.drafts import Draft

        if not draft_id or draft_id == self.draft_id:
            return
        with self.app.store.session() as s:
            row = s.get(Draft, draft_id)
        if row is not None:
            self.resume(row.id, row.case_draft)

    def action_back(self) -> None:
        self._clear_problems()

    # --- the caller's history and similar cases -----------------------------------------------
    def _lookup(self) -> None:
        self._find_prior(self.collect())

    @work(thread=True, exclusive=True, group="prior")
    def _find_prior(self, draft: CaseDraft) -> None:
        """The caller's history, similar prior cases and routing suggestions, off the UI thread:
        typing never waits for a search."""
        from models.cases.callers import caller_history
        from models.reference.views import department_labels
        from models.search.engine import Query

        store, lang = self.app.store, self.app.lang
        history = caller_history(store, draft.caller_phone)
        if not self._dept_labels:  # the first lookup may come before the catalogue has loaded
            self._dept_labels = department_labels(store, lang)
        query = Query(text=draft.description, address=draft.address, phone=draft.caller_phone,
                      category=draft.category, at=self.app.clock())
        hits = self.app.similar.search(query, limit=PRIOR_LIMIT) if not query.empty else []
        suggestions = None
        if draft.description.strip():
            suggestions = self.app.router.suggest(
                draft.description, address=draft.address, location_kind=draft.location_kind,
                district=draft.district, lang=lang)
        self.app.call_from_thread(self._show_prior, draft, history, hits, suggestions)

    def _show_prior(self, draft: CaseDraft, history, hits, suggestions) -> None:
        t = self.app.t
        name_box = self.query_one("#name", Input)
        if history.name and not name_box.value.strip():
            name_box.value = history.name
        if hits:
            rows = [PriorCase(h.id, h.case_no, h.created_at, h.status, h.department,
                              h.snippet.text, why=", ".join(h.why_text(self.app.lang)),
                              spans=list(h.snippet.spans)) for h in hits]
        else:
            rows = [PriorCase(c.id, c.case_no, c.created_at, c.status, c.lead_department,
                              c.title or c.description) for c in history.cases]
        parts = []
        if history.phone:
            parts.append(t("intake.history", n=history.count) if history.count
                         else t("intake.new_caller"))
        if hits:
            parts.append(t("intake.similar", n=len(hits)))
        title = " · ".join(parts) or t("intake.no_prior")
        self.query_one(PriorCasesPanel).show(rows, title, self._dept_label)
        self._show_suggestions(suggestions)

    def _show_suggestions(self, suggestions) -> None:
        """Routing suggestions as hints: they never fill a field the agent has not chosen."""
        t = self.app.t
        field = self.query_one("#departments", DepartmentField)
        field.suggestions = suggestions
        category = self.query_one("#category", ChoiceField)
        lead = suggestions.lead if suggestions is not None else None
        field.hint = t("intake.suggested", name=lead.name) if lead is not None else ""
        best_category = suggestions.categories[0] if suggestions and suggestions.categories else None
        category.prompt = (t("intake.suggested", name=best_category.name) if best_category
                           else t("intake.category_prompt"))
        category.suggested = best_category.category if best_category else ""
        field.refresh()
        category.refresh()
        self._show_hint()

    def _show_hint(self) -> None:
        """The due date this case would get, and a warning about the chosen lead department."""
        from models.routing.due import due_preview

        from ..display import full_time
        from ..route_text import reason_text

        draft = self.collect()
        line = Text()
        if draft.disposition == Disposition.DISPATCH:
            base = self._due_days.get(draft.category)
            due = due_preview(base, draft.urgency, self.app.clock())
            line.append(self.app.t("route.due", due=full_time(due.due_at), days=due.working_days),
                        style="dim")
        suggestions = self.query_one("#departments", DepartmentField).suggestions
        if suggestions is not None and draft.lead_department:
            for dept in suggestions.departments:
                if dept.code == draft.lead_department and dept.warning:
                    warning = next((r for r in dept.reasons if r.warning), None)
                    if warning is not None:
                        line.append("  ⚠ " + reason_text(warning, self.app.lang), style="bold red")
        self.query_one("#hint", Static).update(line)

    def _dept_label(self, code: str) -> str:
        return self._dept_labels.get(code, code)

    @on(PriorCasesPanel.Open)
    def _open_prior(self, event: PriorCasesPanel.Open) -> None:
        from .case_view import CaseViewScreen

        self.keep_draft()
        self.app.push_screen(CaseViewScreen(event.case_id))

    def action_open_prior(self) -> None:
        case_id = self.query_one(PriorCasesPanel).selected
        if case_id:
            self._open_prior(PriorCasesPanel.Open(case_id))

    def action_attach(self) -> None:
        """This call is about a case already filed: a repeat-call event on it, no new order."""
        from models.cases import attach_repeat_call
        from models.store.draft_writer import SAVED
        from models.store.tables import Case

        case_id = self.query_one(PriorCasesPanel).selected
        if not case_id:
            self._status(self.app.t("intake.attach_none"))
            return
        try:
            attach_repeat_call(self.app.store, case_id, self.app.agent, draft=self.collect())
        except ValidationFailed as exc:
            self._show_problems(exc)
            return
        with self.app.store.session() as s:
            case = s.get(Case, case_id)
        if self.draft_id is not None:
            self.app.drafts.close(self.draft_id, SAVED)
        self._reset_form()
        self._status(self.app.t("intake.attached", case_no=case.case_no, n=case.repeat_count),
                     strong=True)
        self.app.post_message(CaseSaved(case.id, case.case_no))

    def _reset_form(self) -> None:
        """Ready for the next call."""
        self.draft_id = None
        self.fill(CaseDraft())
        self.query_one(PriorCasesPanel).show([], self.app.t("intake.no_prior"))
        self._show_suggestions(None)
        self.query_one("#phone").focus()

    # --- moving through the form --------------------------------------------------------------
    def _focus_first_if_none(self) -> None:
        if self.focused is None:  # a key typed before the form had focus starts at the phone
            self.set_focus(self.query_one("#phone"))

    def action_next_field(self) -> None:
        self._focus_first_if_none()
        self.focus_next()

    def action_previous_field(self) -> None:
        self._focus_first_if_none()
        self.focus_previous()

    def action_enter(self) -> None:
        """Enter moves to the next field, except in the description and in open lists."""
        self._focus_first_if_none()
        if isinstance(self.focused, Input | ChoiceField | DepartmentField):
            self.focus_next()
        else:
            raise SkipAction()

    # --- saving -------------------------------------------------------------------------------
    def action_save(self) -> None:
        from models.cases import check_draft

        self.keep_draft()
        draft = self.collect()
        try:
            with self.app.store.session() as s:
                checked = check_draft(s, draft)
        except ValidationFailed as exc:
            self._show_problems(exc)
            return
        self._clear_problems()
        if checked.values["disposition"] == Disposition.DISPATCH:
            from .read_back import ReadBackScreen

            self.app.push_screen(ReadBackScreen(checked.values["address"]),
                                 lambda ok: self._save(draft) if ok else self._edit_address())
        else:
            self._save(draft)

    def _edit_address(self) -> None:
        # The modal is closing; Textual refocuses the last field on resume, so go after that.
        self._refocus = "#address"

    def on_screen_resume(self) -> None:
        if self._refocus:
            self.call_after_refresh(self.query_one(self._refocus).focus)
            self._refocus = None

    def _save(self, draft: CaseDraft) -> None:
        from models.cases import file_case
        from models.store.draft_writer import SAVED

        try:
            case = file_case(self.app.store, draft, self.app.agent)
        except ValidationFailed as exc:  # the catalogue changed since the check
            self._show_problems(exc)
            return
        if self.draft_id is not None:
            self.app.drafts.close(self.draft_id, SAVED)
        self._reset_form()
        self._status(self.app.t("intake.saved", case_no=case.case_no), strong=True)
        self.app.post_message(CaseSaved(case.id, case.case_no))

    def _show_problems(self, exc: ValidationFailed) -> None:
        lines = Text(self.app.t("intake.fix"))
        for problem in exc.problems:
            lines.append("\n• " + problem.message(self.app.lang))
            self.query_one("#" + FIELD_IDS.get(problem.field, "phone")).add_class("invalid")
        self.query_one("#problems", Static).update(lines)
        first = exc.problems[0].field
        self.query_one("#" + FIELD_IDS.get(first, "phone")).focus()

    def _clear_problems(self) -> None:
        self.query_one("#problems", Static).update("")
        for widget in self.query(".invalid"):
            widget.remove_class("invalid")

    def _status(self, message: str, strong: bool = False) -> None:
        self.query_one("#status", Static).update(Text(message, style="bold" if strong else ""))


class CaseSaved(Message):
    """Posted to the app when a case is saved (the sync worker wakes on it)."""

    def __init__(self, case_id: str, case_no: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.case_no = case_no


def _choices(kind, lang: str) -> list[tuple[str, str]]:
    return [(kind(v).label(lang), v) for v in kind.labels()]


def _value(select: ChoiceField) -> str:
    return "" if select.is_blank() else str(select.value)


def _choose(select: ChoiceField, value: str) -> None:
    """Select `value`; an unknown or empty one leaves a blankable field blank."""
    if value:
        try:
            select.value = value
            return
        except InvalidSelectValueError:
            pass
    try:
        select.clear()
    except InvalidSelectValueError:
        pass  # a field that must have a value keeps its current one
