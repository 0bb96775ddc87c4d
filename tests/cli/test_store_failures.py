"""A store the command line cannot use is reported in a sentence, with what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("content", [b"", b"garbage" * 100])
def test_the_command_line_prints_a_sentence_not_a_traceback(tmp_path, content):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hotline.db").write_bytes(content)
    run = subprocess.run([sys.executable, "-m", "agent_tui.cli", "cases", "--data-dir", str(data)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) <= 3, run.stderr
    assert "backup" in run.stderr
