"""Shared fixtures: real stores in temp dirs, fixed zone and time for stable screens."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Screens show local times: pin the zone so snapshots read the same on every machine.
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()

ROOT = Path(__file__).resolve().parent.parent
REAL_DATA = ROOT.parent / "shared" / "data" / "real"
FIXTURES = Path(__file__).parent / "fixtures"
DEMO_END = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def history_csv(path: Path, rows: int, kinds: list[tuple[str, str, str]],
                text: str = "{text} 第{i}次") -> str:
    """A case CSV of `rows` resolved cases filed on one day, taking turns through `kinds`
    ((category, department, description) each; the description numbered by `text`)."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "category", "department", "status", "description"])
        for i in range(rows):
            category, department, description = kinds[i % len(kinds)]
            w.writerow([f"H{i}", "2026-03-10 09:00:00", category, department, "已办结",
                        text.format(text=description, i=i)])
    return str(path)


def real_file(name: str) -> Path:
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"real data not present at {path} (../shared/data/real is read-only shared data)")
    return path


@pytest.fixture(autouse=True)
def _phone_region_reset(monkeypatch):
    """The phone region is the process's (set from the settings at start): a test that sets it
    (a command run in this process, a server's settings) leaves the next test CN."""
    from models.domain import phone

    monkeypatch.delenv("HOTLINE_REGION", raising=False)
    yield
    phone.set_region(phone.DEFAULT_REGION)


@pytest.fixture
def store(tmp_path):
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    s = open_store(tmp_path / "data")
    s.set_meta("terminal_prefix", "T01")
    with s.writer() as session:
        ensure_catalogue(session)
    yield s
    s.close()


@pytest.fixture
def demo_store(store):
    from models.demo import seed_demo

    seed_demo(store, count=120, end=DEMO_END)
    return store
