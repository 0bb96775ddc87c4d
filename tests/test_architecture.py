"""The direction of imports (docs/architecture.md) and the completeness of translations."""

from __future__ import annotations

import string
import subprocess
import sys

import pytest

from agent_tui.i18n import STRINGS


@pytest.mark.parametrize("package,forbidden", [
    ("models.cases.filing", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.importing.importer", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.demo", ("textual", "fastapi", "httpx", "agent_tui", "sync")),
    ("models.search", ("textual", "fastapi", "httpx", "agent_tui", "sync", "rich", "numpy")),
    ("models.search.engine", ("textual", "fastapi", "httpx", "agent_tui", "sync", "rich")),
    ("agent_tui.cli", ("textual", "fastapi", "sqlmodel")),  # `hotline --help` stays light
])
def test_package_does_not_pull_in(package, forbidden):
    code = (f"import sys, {package}; "
            "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & set(forbidden), loaded & set(forbidden)


def test_every_string_has_both_languages_with_the_same_placeholders():
    for key, (en, zh) in STRINGS.items():
        assert en and zh, key
        fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
        assert fields(en) == fields(zh), key
