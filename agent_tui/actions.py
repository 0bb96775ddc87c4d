"""Every action of the app, in one registry: the key bar, F1, the command palette and the
user's key map (`[keymap]` in the settings file, applied with `App.set_keymap`) all read it.

An action has an id (the key map's name for it, and its bindings' id), default keys, a label
(an i18n key, so it speaks both languages), the scopes where it is bound (`app`, or a screen's
`SCOPE`) and the scopes whose key bar shows it. The order here is the order of the key bars.

Keys that are the mechanics of one widget (Tab and Enter through the form, arrows in a list)
are not actions and stay with their widgets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from textual.binding import Binding

APP = "app"
EVERY_SCREEN = "*"


class Action(NamedTuple):  # a NamedTuple, not a dataclass: this module is on the cold start
    id: str
    key: str  # default keys, comma separated
    label: str  # i18n key
    scopes: tuple[str, ...]  # where it is bound
    method: str = ""  # the Textual action it runs (default: the id)
    bar: tuple[str, ...] = ()  # screens whose key bar shows it (EVERY_SCREEN: all)
    priority: bool = False  # runs before the focused field sees the key

    @property
    def action(self) -> str:
        return self.method or self.id

    def on_bar(self, scope: str) -> bool:
        return EVERY_SCREEN in self.bar or scope in self.bar


ACTIONS: tuple[Action, ...] = (
    # Enter on a field that shows a suggestion takes it (a lead with its co-handlers) and moves
    # on; on any other field Enter is the form's own "next field" (enabled only when it applies).
    Action("accept", "enter", "key.accept", ("intake",), method="accept_suggestion",
           bar=("intake",), priority=True),
    Action("save", "ctrl+s", "key.save", ("intake",), bar=("intake",), priority=True),
    # the knowledge article under the similar cases: open it, answer the call from it (shown
    # only while an article is offered, so right after Save: the bar keeps them at 80 columns)
    Action("open_article", "ctrl+g", "key.open_article", ("intake",), bar=("intake",),
           priority=True),
    Action("answer_from_article", "ctrl+t", "key.answer_from_article", ("intake",),
           bar=("intake",), priority=True),
    # attaching the call to a prior case is the call's own step, before the keys between calls
    # (at 80 columns the bar's last keys give way)
    Action("attach", "f5", "key.attach", ("intake",), bar=("intake",)),
    Action("new_call", "f2", "key.new_call", (APP,), bar=("intake",)),
    Action("drafts", "f3", "key.drafts", (APP,), bar=("intake",)),
    Action("cases", "f4", "key.cases", (APP,)),
    Action("lead", "f6", "key.lead", (APP,)),
    Action("queue", "f7", "key.queue", (APP,)),
    Action("callbacks", "f8", "key.callbacks", (APP,)),
    Action("open_prior", "ctrl+o", "key.open", ("intake",)),
    # the knowledge base: the articles under the similar cases, the F9 screen, quick phrases
    Action("knowledge", "f9", "key.knowledge", (APP,)),
    # Tab expands a quick phrase code (`;gr`) before the cursor; enabled only then, so
    # otherwise Tab moves on as it always does
    Action("expand_phrase", "tab", "key.expand_phrase", (APP,), priority=True),
    Action("kb_search", "slash", "key.kb_search", ("knowledge",), bar=("knowledge",)),
    Action("article_answer", "ctrl+t", "key.answer_from_article", ("article",),
           method="answer", bar=("article",)),
    Action("article_next", "n", "key.article_next", ("article",), method="step(1)",
           bar=("article",)),
    Action("article_previous", "p", "key.article_previous", ("article",), method="step(-1)"),
    Action("kb_period", "p", "key.kb_period", ("kb_gaps",), method="period", bar=("kb_gaps",)),
    Action("kb_export", "e", "key.kb_export", ("kb_gaps",), method="export", bar=("kb_gaps",)),
    Action("filter", "slash", "key.filter", ("case_list",), bar=("case_list",)),
    Action("back", "escape", "key.back", ("intake", "case_list", "case_view", "queue", "lead",
                                          "drafts", "callbacks", "knowledge", "article", "kb_gaps"),
           bar=("case_list", "case_view", "queue", "lead", "drafts", "callbacks", "knowledge",
                "article", "kb_gaps")),
    Action("note", "n", "key.note", ("case_view",), bar=("case_view",)),
    Action("next_page", "right_square_bracket", "key.next_page", ("case_view",), bar=("case_view",)),
    Action("prev_page", "left_square_bracket", "key.prev_page", ("case_view",)),
    # lifecycle steps in the case view: the bar shows only those the case's state and the
    # user's role allow (`models.domain.lifecycle.allowed_actions`); any other is refused
    # with the state and the allowed steps named
    *(Action(f"step_{step}", key, f"key.step.{step}", ("case_view",), method=f"step('{step}')",
             bar=("case_view",))
      for step, key in (("dispatch", "d"), ("accept", "a"), ("return", "t"), ("send_back", "b"),
                        ("progress", "p"), ("resolve", "s"), ("callback", "c"), ("reopen", "o"),
                        ("close", "x"), ("supervise", "u"), ("extend", "e"),
                        ("approve_extension", "y"), ("refuse_extension", "z"))),
    Action("step_edit", "f", "key.step.edit", ("case_view",), method="edit_field",
           bar=("case_view",)),
    # F8 callback queue: the caller's answer in one key, then Enter
    Action("satisfied", "1", "key.satisfied", ("callbacks",), method="answer('satisfied')",
           bar=("callbacks",)),
    Action("basically", "2", "key.basically", ("callbacks",),
           method="answer('basically_satisfied')", bar=("callbacks",)),
    Action("unsatisfied", "3", "key.unsatisfied", ("callbacks",), method="answer('unsatisfied')",
           bar=("callbacks",)),
    # F6 lead review acting (g stays free: the knowledge-gap view)
    Action("mark", "space", "key.mark", ("lead",), bar=("lead",)),
    Action("lead_dispatch", "d", "key.lead_dispatch", ("lead",), bar=("lead",)),
    Action("lead_supervise", "u", "key.lead_supervise", ("lead",), bar=("lead",)),
    Action("assign", "a", "key.assign", ("lead",), bar=("lead",)),
    Action("export", "x", "key.export", ("lead",), bar=("lead",)),
    Action("period", "p", "key.period", ("lead",), bar=("lead",)),
    Action("kb_gaps", "g", "key.kb_gaps", ("lead",), method="app.kb_gaps", bar=("lead",)),
    Action("dismiss", "d", "key.dismiss", ("queue",), method="dismiss_item", bar=("queue",)),
    Action("reload", "r", "key.reload", ("queue", "lead"), bar=("queue", "lead")),
    Action("quit", "ctrl+q", "key.quit", (APP,), bar=(EVERY_SCREEN,), priority=True),
    Action("help", "f1", "key.help", (APP,), bar=(EVERY_SCREEN,)),
    # dialogs and the department picker
    Action("close", "escape,f1,q", "key.back", ("help",), method="dismiss"),
    Action("confirm", "enter,ctrl+s", "key.save", ("read_back",)),
    Action("correct", "escape", "key.back", ("read_back",)),
    Action("quit_anyway", "enter,y", "key.quit", ("quit_confirm",), method="quit"),
    Action("stay", "escape,n", "key.back", ("quit_confirm",)),
    Action("picker_done", "escape", "key.back", ("picker_screen",), method="done"),
    Action("dialog_cancel", "escape", "key.back", ("step_dialog",), method="cancel"),
    Action("picker_co", "ctrl+o", "picker.key_co", ("picker",), method="toggle_co", bar=("picker",)),
    Action("picker_clear", "ctrl+r", "picker.key_clear", ("picker",), method="clear",
           bar=("picker",)),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}


def in_scope(scope: str) -> list[Action]:
    return [a for a in ACTIONS if scope in a.scopes]


def bindings(scope: str) -> list[Binding]:
    """The Textual bindings of a scope (a screen's BINDINGS, or the app's), ids included."""
    from textual.binding import Binding

    return [Binding(a.key, a.action, a.label, id=a.id, show=bool(a.bar), priority=a.priority)
            for a in in_scope(scope)]


def active(screen: Any) -> dict[str, tuple[Binding, bool]]:
    """Action id -> (its binding as the screen answers to it now, with the user's keys;
    whether it is enabled). Only the first binding of an id counts."""
    found: dict[str, tuple[Binding, bool]] = {}
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if binding.id in BY_ID and binding.id not in found:
            found[binding.id] = (binding, enabled)
    return found


def reachable(screen: Any) -> Iterator[tuple[Action, Binding, bool]]:
    """The actions of the screen's own scope, then the app's, with their live bindings."""
    live = active(screen)
    scope = getattr(screen, "SCOPE", "")
    for action in [*in_scope(scope), *in_scope(APP)]:
        if action.id in live:
            yield action, *live[action.id]


def bar(screen: Any) -> list[tuple[Binding, Action]]:
    """What the key bar of `screen` shows: enabled actions marked for its scope, in order."""
    live = active(screen)
    scope = getattr(screen, "SCOPE", "")
    shows = getattr(screen, "shows_on_bar", None)  # a screen may hide keys that do not apply now
    return [(live[a.id][0], a) for a in ACTIONS
            if a.on_bar(scope) and a.id in live and live[a.id][1]
            and (shows is None or shows(a.id))]
