"""Schemathesis against the server's own OpenAPI document, on a real server (SQLite and
PostgreSQL) with a shift lead's token: no 5xx, and every answer conforms to what the document
declares (status codes, content types, headers, bodies), for schema-valid and schema-violating
requests alike. Bounded (examples per operation, a time budget) so the suite stays short; run
it longer by hand with HOTLINE_SCHEMATHESIS_EXAMPLES and HOTLINE_SCHEMATHESIS_SECONDS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .sync_fixtures import *  # noqa: F403 (fixtures)

EXAMPLES = os.environ.get("HOTLINE_SCHEMATHESIS_EXAMPLES", "12")
SECONDS = os.environ.get("HOTLINE_SCHEMATHESIS_SECONDS", "45")
# Checks that need state this run does not build (resources created by one call and used by
# another), or that judge behaviour the API declares otherwise:
# - positive_data_acceptance: schema-valid requests the API refuses by design (a push whose
#   first seq is not the one expected is a 409; an unknown case id a 404);
# - use_after_free, ensure_resource_availability: the API deletes nothing.
EXCLUDED = "positive_data_acceptance,use_after_free,ensure_resource_availability"


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return [found]


# (user, role, department, operations): a shift lead over the whole API, and a department's
# token over the department API and Open311 (the new writers).
AS_LEAD = ("fuzz-lead", "lead", "", [])
AS_DEPARTMENT = ("fuzz-dept", "department", "street_light_office",
                 ["--include-path-regex", "^/(v1/department|open311)"])


@pytest.mark.parametrize("who", [AS_LEAD, AS_DEPARTMENT], ids=["lead", "department"])
def test_schemathesis_finds_no_server_error_and_no_nonconforming_answer(db_url, tmp_path, who):
    from sync.server.auth import add_user
    from sync.server.reference import seed_reference
    from sync.server.run import ThreadedServer
    from sync.server.settings import ServerSettings

    from .sync_support import server_db

    user, role, department, only = who
    # Its auth checks send bad tokens on purpose: the per-address throttle must not end the run.
    srv = ThreadedServer(db_url, settings=ServerSettings(auth_max_failures=100_000)).start()
    db = server_db(db_url)
    try:
        seed_reference(db)
        token = add_user(db, user, role, department=department)
    finally:
        db.dispose()
    report = tmp_path / "report"
    try:
        run = subprocess.run(
            [*_schemathesis(), "run", srv.url + "/openapi.json", *only,
             "-H", f"Authorization: Bearer {token}", "-H", "X-Hotline-Protocol: 1",
             "--checks", "all", "--exclude-checks", EXCLUDED, "--phases", "examples,coverage,fuzzing",
             "--max-examples", EXAMPLES, "--max-time", SECONDS, "--seed", "20261130",
             "--request-timeout", "30", "--workers", "1", "--no-color",
             "--report", "json", "--report-dir", str(report)],
            capture_output=True, text=True, timeout=int(SECONDS) * 4 + 120, cwd=tmp_path)
    finally:
        srv.stop()
    summary = run.stdout[-4000:]
    assert run.returncode == 0, summary
    [path] = report.glob("*.json")
    results = json.loads(path.read_text())
    assert "5" not in {str(s)[0] for s in _statuses(results)}, summary


def _statuses(report: dict) -> set[int]:
    """Every HTTP status the run saw, from its JSON report (shape-tolerant)."""
    found: set[int] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("status_code", "status") and isinstance(value, int) and 100 <= value < 600:
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(report)
    return found
