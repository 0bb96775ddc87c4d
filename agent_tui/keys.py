"""Key bindings in the agent's language.

Bindings are declared with an i18n key as their description (`Binding("slash", "filter",
"key.filter", id="filter")`); `localise` swaps in the words of the running language, so the
footer, F1 and the command palette all speak it. Ids stay stable for `App.set_keymap`.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from .i18n import STRINGS, t


def localise(node: DOMNode, lang: str) -> None:
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=t(b.description, lang)) if b.description in STRINGS else b
            for b in bindings
        ]

