"""The direction of imports (docs/architecture.md) and the completeness of translations."""

from __future__ import annotations

import string
import subprocess
import sys

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
