"""The CSV files of `new --batch`, `search --batch` and `route --batch`: fields of any size the
intake form accepts are read (Python's csv stops at 128 KB by default, and a description may be
longer in a CSV than anywhere useful), and a field longer than the form allows is reported by
its line, never a crash."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import click

csv.field_size_limit(sys.maxsize)  # the form's limits apply per field, below


def form_limits() -> dict[str, int]:
    """Column -> the most characters the intake form takes in it."""
    from models.domain import validation as v

    return {"description": v.MAX_DESCRIPTION, "notes": v.MAX_DESCRIPTION, "title": v.MAX_TITLE,
            "address": v.MAX_ADDRESS, "district": v.MAX_DISTRICT, "caller_name": v.MAX_NAME}


def too_long(row: dict[str, str], limits: dict[str, int]) -> str:
    """Why `row` is refused ("" when every field fits the form)."""
    return "; ".join(f"{name}: {len(value):,} characters, the form takes at most {limits[name]:,}"
                     for name, value in row.items()
                     if name in limits and value and len(value) > limits[name])


def dict_rows(path: Path, need: str = "") -> Iterator[tuple[int, dict[str, str]]]:
    """(first line of the row, the row) for each row of a CSV with a header; `need` names a
    column the file must have."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if need and need not in (reader.fieldnames or []):
            raise click.ClickException(f"{path.name}: a {need} column is needed "
                                       f"(columns: {', '.join(reader.fieldnames or [])})")
        next_line = 2
        for row in reader:
            line, next_line = next_line, reader.line_num + 1
            yield line, {k: v or "" for k, v in row.items() if k is not None}
