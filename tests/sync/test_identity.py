"""A terminal learns from its pulls the role the server gives its token (the lifecycle's own
check before queueing a step uses it; the server checks again)."""

from __future__ import annotations

from sync.client import queue
from sync.client.engine import SyncEngine

from .sync_fixtures import *  # noqa: F403 (fixtures)


def test_a_pull_tells_the_terminal_its_role(server, make_user, terminal):
    lead, agent = terminal("lead"), terminal("agent")
    for store, token in ((lead, make_user("lead-1", "lead")), (agent, make_user("agent-1"))):
        engine = SyncEngine(store, server.url, token)
        try:
            engine.sync_once()
        finally:
            engine.close()
    assert lead.get_meta(queue.ROLE) == "lead" and agent.get_meta(queue.ROLE) == "agent"
