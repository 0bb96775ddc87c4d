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


def test_a_hostile_csv_is_reported_without_control_characters(tmp_path):
    """A 311 export or a paper-outage CSV is outside data too: `import` and `new --batch` name
    its bad rows and values without letting their control characters through."""
    import csv

    from agent_tui.cli import cli

    from .hostile_support import EVIL

    path = tmp_path / "hostile.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "description", "address", "category", "department"])
        w.writerow(["c1" + EVIL, "2026-01-01 10:00", "路灯不亮" + EVIL, "梦都大街" + EVIL,
                    "nonexistent" + EVIL, "dept" + EVIL])
        w.writerow(["c2", "not a date" + EVIL, "路灯不亮", "梦都大街", "", ""])
    data = str(tmp_path / "data")
    for args in (["import", str(path)], ["import", str(path), "--json"],
                 ["new", "--batch", str(path)]):
        result = CliRunner().invoke(cli, [*args, "--data-dir", data, "--lang", "en"])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert leaks(result.stdout) == [] and leaks(result.stderr) == [], (args, result.output)
    assert "line 3" in result.stderr and "nonexistent" in result.stderr  # still said, cleaned
