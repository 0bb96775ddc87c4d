"""The intake form: its fields in the contract's order, reading and filling them, the invalid
marks and problems, the routing hints.

Fields (scripts and tests rely on the order): phone, name, description, address, location kind,
category, urgency, disposition, departments, notes. Every change of a field posts
`IntakeForm.Edited` (the draft keeper and the lookups listen); the form itself never touches
the store: its catalogue arrives as `ReferenceLoaded`, read on a thread by `read_reference`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.message import Message
from textual.widgets import Input, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from models.domain.enums import Disposition, LocationKind, Urgency

from ..widgets.department_field import DepartmentField
from ..widgets.description import DescriptionArea
from ..widgets.form_fields import ChoiceField
from ..widgets.labelled_grid import LabelledGrid

if TYPE_CHECKING:
    from models.domain.case_shape import CaseDraft

FIELD_IDS = {  # CaseDraft field -> widget id, in form order
    "caller_phone": "phone", "caller_name": "name", "description": "description",
    "address": "address", "location_kind": "location_kind", "category": "category",
    "urgency": "urgency", "disposition": "disposition", "lead_department": "departments",
    "co_departments": "departments", "notes": "notes",
}
LOOKUP_FIELDS = frozenset({"phone", "description", "address", "location_kind", "category",
                           "urgency", "departments"})  # what the lookups read


class ReferenceLoaded(Message):
    """The catalogue's choices and an unsaved call to restore, read off the UI thread."""

    def __init__(self, choices: list[tuple[str, str]], departments: list[Any],
                 due_days: dict[str, int], unsaved: list[Any],
                 catalogue_changed: bool = False) -> None:
        super().__init__()
        self.catalogue_changed = catalogue_changed  # loaded or given new aliases just now
        self.choices = choices
        self.departments = departments  # models.store.tables.Department rows
        self.due_days = due_days  # category code -> working days
        self.unsaved = unsaved  # models.store.drafts.Draft, the newest (if any)


def read_reference(app: Any) -> ReferenceLoaded:
    """On a thread: a new terminal's store gets the default catalogue first."""
    from models.reference.catalogue import ensure_catalogue
    from models.reference.views import category_choices, category_due_days, departments
    from models.store.drafts import open_drafts

    with app.store.writer() as session:
        changed = ensure_catalogue(session)
    unsaved = [d for d in open_drafts(app.store, app.agent) if not d.is_empty()]
    return ReferenceLoaded(category_choices(app.store, app.lang), departments(app.store),
                           category_due_days(app.store), unsaved[:1], changed)


class IntakeForm(Vertical):
    DEFAULT_CSS = """
    IntakeForm #fields {
        grid-size: 4; grid-columns: 9 1fr 10 1fr; grid-rows: 1 4 1 1 1 1 1; height: auto;
    }
    /* A field spans its label's column too, as its left margin, where the grid draws the
       label; a choice keeps a cell after its arrow. (Whole margins: a rule's margin-left would
       undo another's margin-right.) */
    IntakeForm #fields > * { column-span: 2; margin: 0 0 0 10; }
    IntakeForm #fields > .left { margin: 0 0 0 9; }
    IntakeForm #fields > .wide { column-span: 4; margin: 0 0 0 9; }
    IntakeForm #fields > ChoiceField { margin: 0 1 0 10; }
    IntakeForm #fields > ChoiceField.left { margin: 0 1 0 9; }
    IntakeForm #description { height: 4; }
    IntakeForm .invalid { background: $error 30%; }
    IntakeForm #problems { color: $text-error; height: auto; padding: 0 1; }
    """

    class Edited(Message):
        """A field changed (typed, chosen, or filled from a draft)."""

        def __init__(self, field_id: str) -> None:
            super().__init__()
            self.field_id = field_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.due_days: dict[str, int] = {}  # category code -> working days
        self.dept_labels: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        t, lang = self.app.t, self.app.lang
        # One grid, no row containers and no label widgets (the grid draws the labels): fewer
        # widgets, a faster first frame.
        labels = {field: t(f"intake.{field}") for field in dict.fromkeys(FIELD_IDS.values())}
        with LabelledGrid(id="fields", labels=labels):
            yield Input(id="phone", placeholder=t("intake.phone_placeholder"), compact=True,
                        classes="left")
            yield Input(id="name", compact=True)
            yield DescriptionArea(id="description", compact=True, soft_wrap=True, classes="wide",
                           tab_behavior="focus", placeholder=t("intake.description_placeholder"))
            yield Input(id="address", placeholder=t("intake.address_placeholder"), compact=True,
                        classes="wide")
            yield ChoiceField(_choices(LocationKind, lang), id="location_kind",
                              value=LocationKind.OTHER.value, allow_blank=False, classes="left")
            yield ChoiceField([], id="category", prompt=t("intake.category_prompt"))
            yield ChoiceField(_choices(Urgency, lang), id="urgency", value=Urgency.NORMAL.value,
                              allow_blank=False, classes="left")
            yield ChoiceField(_choices(Disposition, lang), id="disposition",
                              value=Disposition.DISPATCH.value, allow_blank=False)
            yield DepartmentField(id="departments", classes="wide",
                                  placeholder=t("intake.departments_placeholder"))
            yield Input(id="notes", compact=True, classes="wide")
        yield Static(id="hint")  # its row is kept, so the panels below do not move when it fills
        # The problems line comes with the first problems (`_problems`): a widget fewer up front.

    # --- reading and writing ------------------------------------------------------------------
    def collect(self) -> CaseDraft:
        q = self.query_one
        departments = q("#departments", DepartmentField)
        from models.domain.case_shape import CaseDraft  # pydantic: loaded after the first frame

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
        q = self.query_one
        q("#phone", Input).value = draft.caller_phone
        q("#name", Input).value = draft.caller_name
        q("#description", TextArea).text = draft.description
        q("#address", Input).value = draft.address
        _choose(q("#location_kind", ChoiceField), draft.location_kind or LocationKind.OTHER.value)
        _choose(q("#category", ChoiceField), draft.category)
        _choose(q("#urgency", ChoiceField), draft.urgency or Urgency.NORMAL.value)
        _choose(q("#disposition", ChoiceField), draft.disposition or Disposition.DISPATCH.value)
        for choice in self.query(ChoiceField):  # what a call brings was nobody's choice here
            choice.forget_choice()
        q("#departments", DepartmentField).set_choice(draft.lead_department, draft.co_departments)
        q("#notes", Input).value = draft.notes
        self.clear_problems()

    def fill_name(self, name: str) -> None:
        """A known caller's name, unless the agent has typed one."""
        box = self.query_one("#name", Input)
        if name and not box.value.strip():
            box.value = name

    def set_reference(self, loaded: ReferenceLoaded) -> None:
        from models.reference.catalogue import department_label

        self.due_days = loaded.due_days
        self.dept_labels = {d.code: department_label(d, self.app.lang) for d in loaded.departments}
        field = self.query_one("#departments", DepartmentField)
        field.departments, field.labels = loaded.departments, self.dept_labels
        field.refresh()
        category = self.query_one("#category", ChoiceField)
        current = _value(category)
        category.set_options(loaded.choices)
        _choose(category, current)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(ChoiceField.Changed)
    @on(DepartmentField.Changed)
    def _changed(self, event: Any) -> None:
        widget = event.control if hasattr(event, "control") else event.text_area
        widget.remove_class("invalid")
        self.post_message(self.Edited(widget.id or ""))

    # --- problems -----------------------------------------------------------------------------
    def show_problems(self, exc: Any) -> None:
        """Each problem of a ValidationFailed, its field marked; the first one gets focus."""
        lines = Text(self.app.t("intake.fix"))
        for problem in exc.problems:
            lines.append("\n• " + problem.message(self.app.lang))
            self.query_one("#" + FIELD_IDS.get(problem.field, "phone")).add_class("invalid")
        self._problems().update(lines)
        self.query_one("#" + FIELD_IDS.get(exc.problems[0].field, "phone")).focus()

    def clear_problems(self) -> None:
        for line in self.query("#problems"):  # none until the first problems
            line.update("")
        for widget in self.query(".invalid"):
            widget.remove_class("invalid")

    # --- routing hints ------------------------------------------------------------------------
    def show_suggestions(self, suggestions: Any) -> None:
        """Routing suggestions as hints: they fill a field only when the agent accepts one
        (Enter on the field, `accept`); the lists open on them."""
        t = self.app.t
        field = self.query_one("#departments", DepartmentField)
        field.suggestions = suggestions
        category = self.query_one("#category", ChoiceField)
        lead = suggestions.lead if suggestions is not None else None
        if lead is not None:
            co = ("、" if self.app.lang == "zh" else ", ").join(d.name for d in suggestions.co)
            field.hint = t("intake.suggested_key", name=lead.name + (" + " + co if co else ""))
        else:
            field.hint = ""
        best = suggestions.categories[0] if suggestions and suggestions.categories else None
        if best is not None and best.category not in category.values:
            best = None  # a label history knows but the catalogue does not: nothing to pick
        category.suggest(best.category if best else "",
                         t("intake.suggested", name=best.name) if best
                         else t("intake.category_prompt"))
        # The kind of place the text or address names (路边: a public road), in place of the
        # field's "other" until the agent chooses one.
        place = self.query_one("#location_kind", ChoiceField)
        kind = suggestions.location_kind if suggestions is not None else ""
        if kind and kind != LocationKind.OTHER and kind in place.values:
            place.suggest(kind, t("intake.suggested",
                                  name=LocationKind(kind).label(self.app.lang)))
        else:
            place.suggest("", "")
        field.refresh()
        self.show_hint()
        self.screen.refresh_bindings()  # the key bar's "Enter Accept" follows

    def suggestion_for(self, widget: Any) -> tuple[str, list[str]] | None:
        """What Enter would accept on `widget`: a suggestion it shows while nothing is chosen.
        The category: (code, []); the departments: (lead, co-handlers)."""
        if isinstance(widget, ChoiceField):  # (the category, the location kind)
            if widget.offered:
                return widget.offered, []
        elif isinstance(widget, DepartmentField):
            lead = widget.suggestions.lead if widget.suggestions is not None else None
            if not widget.lead and not widget.co and lead is not None:
                return lead.code, [d.code for d in widget.suggestions.co]
        return None

    def accept(self, widget: Any) -> bool:
        """Fill `widget` with the suggestion it shows; False when it shows none."""
        found = self.suggestion_for(widget)
        if found is None:
            return False
        if isinstance(widget, DepartmentField):
            widget.set_choice(*found)
        else:
            _choose(widget, found[0])
        return True

    def show_hint(self) -> None:
        """The due date this case would get, and a warning about the chosen lead department."""
        from models.routing.due import due_preview

        from ..display import full_time, plain

        draft = self.collect()
        line = Text()
        if draft.disposition == Disposition.DISPATCH:
            due = due_preview(self.due_days.get(draft.category), draft.urgency, self.app.clock())
            line.append(self.app.t("route.due", due=full_time(due.due_at), days=due.working_days),
                        style="dim")
        suggestions = self.query_one("#departments", DepartmentField).suggestions
        if suggestions is not None and draft.lead_department:
            for dept in suggestions.departments:
                if dept.code == draft.lead_department and dept.warning:
                    warning = next((r for r in dept.reasons if r.warning), None)
                    if warning is not None:
                        line.append("  ⚠ " + plain(warning.text(self.app.lang)), style="bold red")
        self.query_one("#hint", Static).update(line)

    def _problems(self) -> Static:
        """The line of problems under the hint, made the first time there are any."""
        found = self.query("#problems")
        if found:
            return found.first(Static)
        line = Static(id="problems")
        self.mount(line)
        return line


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


class FormKeys:
    """Moving through the form, for the screen that holds it: Tab / Shift+Tab / Enter (bound
    with priority, so type-ahead follows them) and keys typed before any field had focus."""

    BINDINGS = [
        # Priority bindings run in the app's own queue, before the keys typed after them are
        # handed to a field: fast type-ahead ("123<Tab>王女士") lands in the right fields.
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
    ]

    def on_key(self, event: Key) -> None:
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

    def _focus_first_if_none(self) -> None:
        if self.focused is None:  # a key typed before the form had focus starts at the phone
            self.set_focus(self.query_one("#phone"))

    def action_next_field(self) -> None:
        self._focus_first_if_none()
        self.focus_next()

    def action_previous_field(self) -> None:
        self._focus_first_if_none()
        self.focus_previous()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept_suggestion":  # only on a field that shows a suggestion
            forms = self.query(IntakeForm)  # (none while the screen is still being composed)
            return bool(forms) and forms.first().suggestion_for(self.focused) is not None
        return super().check_action(action, parameters)

    def action_accept_suggestion(self) -> None:
        """Enter on a field showing a suggestion: take it (a lead with its co-handlers), move on."""
        if self.query_one(IntakeForm).accept(self.focused):
            self.focus_next()

    def action_enter(self) -> None:
        """Enter moves to the next field, except in the description and in open lists."""
        self._focus_first_if_none()
        if not isinstance(self.focused, Input | ChoiceField | DepartmentField):
            raise SkipAction()
        self.focus_next()
