"""The direction of imports (docs/architecture.md), the completeness of translations, and the
length of functions."""

from __future__ import annotations

import ast
import string
import subprocess
import sys
from pathlib import Path

import pytest

from agent_tui.i18n import STRINGS
from models.domain.enums import EventKind, Labelled
from models.domain.i18n import catalogue


@pytest.mark.parametrize("package,forbidden", [
    ("models.cases.filing", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.importing.importer", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.demo", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.search", ("textual", "fastapi", "httpx", "agent_tui", "sync", "rich", "numpy")),
    ("models.search.engine", ("textual", "fastapi", "httpx", "agent_tui", "sync", "rich")),
    ("agent_tui.cli", ("textual", "fastapi", "sqlmodel")),  # `hotline --help` stays light
    # `hotline tui` reads its settings before the form is drawn: no pydantic on that path.
    ("agent_tui.settings", ("pydantic", "pydantic_settings", "sqlalchemy", "textual")),
    # The intake form is drawn before pydantic, SQLAlchemy or the engines load (cold start).
    ("agent_tui.app", ("pydantic", "sqlalchemy", "sqlmodel", "httpx", "numpy", "fastapi")),
    ("agent_tui.screens.intake", ("pydantic", "sqlalchemy", "sqlmodel", "httpx", "numpy")),
])
def test_package_does_not_pull_in(package, forbidden):
    code = (f"import sys, {package}; "
            "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & set(forbidden), loaded & set(forbidden)


def test_every_string_has_both_languages_with_the_same_placeholders():
    words = catalogue()
    assert set(STRINGS) <= set(words)  # the interface's words are in the one catalogue
    for key, (en, zh) in words.items():
        assert en and zh, key
        fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
        assert fields(en) == fields(zh), key


def test_every_vocabulary_value_has_a_label():
    words = catalogue()
    for vocabulary in (*Labelled.__subclasses__(), EventKind):
        for value in vocabulary:
            assert f"enum.{vocabulary.__name__}.{value}" in words, (vocabulary, value)


MAX_FUNCTION_LINES = 60  # a function a reader can hold at once; split longer ones into named steps
ROOT = Path(__file__).resolve().parent.parent


def long_functions(source: str, where: str = "") -> list[str]:
    """`where:line name (n lines)` for each function or method longer than MAX_FUNCTION_LINES
    (from its `def` to its last line, docstring and comments included; nested ones too)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                out.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_the_length_check_counts_every_line_of_a_function():
    body = lambda n: "def f():\n" + "    x = 1\n" * (n - 1)  # noqa: E731
    assert long_functions(body(MAX_FUNCTION_LINES)) == []
    assert long_functions(body(MAX_FUNCTION_LINES + 1)) == [f":1 f ({MAX_FUNCTION_LINES + 1} lines)"]
    nested = "class C:\n    async def g(self):\n" + "        pass\n" * MAX_FUNCTION_LINES
    assert long_functions(nested, "m.py") == [f"m.py:2 g ({MAX_FUNCTION_LINES + 1} lines)"]


def test_no_function_outside_migrations_is_longer_than_60_lines():
    """The store's and the server's migrations are a history (each step as it was written);
    everything else stays under the limit."""
    found = []
    for package in ("agent_tui", "models", "sync"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel.name == "migrations.py" or "migrations" in rel.parts:
                continue
            found += long_functions(path.read_text(encoding="utf-8"), str(rel))
    assert not found, "functions longer than 60 lines (split them into named steps):\n" + \
        "\n".join(found)
