"""Ctrl+P: every action this screen and the app answer to, by its name in the agent's language,
with its key (the user's key map included). The list is `agent_tui.actions`."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from . import actions


class ActionsProvider(Provider):
    def _commands(self) -> list[tuple[str, str, partial]]:
        app = self.app
        screen = self.screen
        out = []
        for action, binding, enabled in actions.reachable(screen):
            if not enabled:
                continue
            node = app if actions.APP in action.scopes else screen
            run = partial(app.run_action, action.action, node)
            out.append((app.t(action.label), app.get_key_display(binding), run))
        return out

    async def discover(self) -> Hits:
        for title, key, run in self._commands():
            yield DiscoveryHit(title, run, help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, key, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=key)
