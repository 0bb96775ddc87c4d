"""Issue 10: a pulled case full of ESC, OSC 52, C1 and bidi characters, printed by every command
that prints case data: not one control character reaches stdout or stderr, and the visible
text is still there."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from .hostile_support import VISIBLE, leaks, put_hostile_case


@pytest.fixture
def hostile_dir(store):
    from models.kb.demo import seed_demo_articles

    seed_demo_articles(store)  # `kb gaps` lists the calls no article answered: ours among them
    case_id = put_hostile_case(store)
    return store.data_dir, case_id


COMMANDS = [
    (["cases"], True),
    (["cases", "--json"], True),
    (["search", "HOSTILE description"], True),
    (["search", "HOSTILE description", "--json"], True),
    (["search", "street light", "--address", "梦都大街1号"], True),
    (["route", "HOSTILE street light out"], False),
    (["route", "HOSTILE street light out", "--json"], False),
    (["case", "{id}"], True),
    (["case", "{id}", "--json"], True),
    (["queue", "--list"], True),
    (["queue", "--list", "--json"], True),
    (["kb", "gaps"], False),  # (a demo article answers the street light: no gap listed)
    (["kb", "gaps", "--json"], False),
]


@pytest.mark.parametrize(("args", "shows_case"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_printing_commands_write_no_control_characters(hostile_dir, args, shows_case, lang):
    from agent_tui.cli import cli

    data_dir, case_id = hostile_dir
    argv = [a.replace("{id}", case_id) for a in args] + ["--data-dir", str(data_dir), "--lang", lang]
    result = CliRunner().invoke(cli, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert leaks(result.stdout) == [], (args, result.stdout[:2000])
    assert leaks(result.stderr) == [], (args, result.stderr[:2000])
    if shows_case:  # the text is there, only its controls are gone
        assert VISIBLE in result.stdout, result.stdout[:2000]


def test_route_names_a_hostile_department_cleanly(hostile_dir):
    """The pulled department (its names full of controls) is what `route` suggests."""
    from agent_tui.cli import cli

    data_dir, _ = hostile_dir
    result = CliRunner().invoke(cli, ["route", "HOSTILE-description", "--data-dir", str(data_dir),
                                      "--lang", "en", "--json", "--limit", "20"])
    assert result.exit_code == 0 and leaks(result.stdout) == []
