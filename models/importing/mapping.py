"""Column mappings: which source column feeds which column of the case schema.

A mapping is a TOML file (see `mappings/*.toml`). Header names are compared normalised
(lower case, runs of other characters as `_`), so "Unique Key" and "unique_key" are one column.
A column spec is one of:
  "col"                                  the value of one source column
  {first = [spec, ...]}                  the first non-empty value
  {join = [spec, ...], sep = ": "}       the distinct non-empty values joined
  {extract = "name", from = spec}        a named transform (importing.transforms)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .transforms import TRANSFORMS

# The case CSV schema of the CLI contract.
SCHEMA_COLUMNS = (
    "case_id", "created_at", "caller_phone", "caller_name", "address", "district", "category",
    "department", "status", "title", "description", "resolved_at", "resolution",
    "satisfaction", "lat", "lon",
)

Getter = Callable[[list[str]], str]


class MappingError(ValueError):
    pass


def normalise_header(name: str) -> str:
    name = name.lstrip("\ufeff").strip().lower()
    return re.sub(r"[^\w]+", "_", name).strip("_")


@dataclass
class Mapping:
    name: str
    title: str = ""
    tz: str = ""  # zone of naive times in the source; "" = the terminal's zone
    detect: list[str] = field(default_factory=list)
    columns: dict[str, Any] = field(default_factory=dict)

    def compile(self, header: list[str]) -> dict[str, Getter]:
        """Getters for each schema column this file can fill."""
        index = {}
        for i, name in enumerate(header):
            index.setdefault(normalise_header(name), i)
        getters: dict[str, Getter] = {}
        for target, spec in self.columns.items():
            getter = _compile_spec(spec, index)
            if getter is not None:
                getters[target] = getter
        return getters

    def matches(self, header: list[str]) -> bool:
        names = {normalise_header(h) for h in header}
        return bool(self.detect) and all(normalise_header(d) in names for d in self.detect)


def _compile_spec(spec: Any, index: dict[str, int]) -> Getter | None:
    """None when the file lacks every column the spec names."""
    if isinstance(spec, str):
        i = index.get(normalise_header(spec))
        if i is None:
            return None

        def column(row: list[str], i: int = i) -> str:
            return row[i].strip()

        column.index = i  # a plain column: a batch's checker reads it as a column, all at once
        return column
    if isinstance(spec, dict) and "first" in spec:
        parts = [g for g in (_compile_spec(s, index) for s in spec["first"]) if g]
        if not parts:
            return None

        def first(row: list[str]) -> str:
            for part in parts:
                value = part(row)
                if value:
                    return value
            return ""

        return first
    if isinstance(spec, dict) and "join" in spec:
        parts = [g for g in (_compile_spec(s, index) for s in spec["join"]) if g]
        sep = spec.get("sep", " / ")
        if not parts:
            return None

        def join(row: list[str]) -> str:
            seen: list[str] = []
            for part in parts:
                value = part(row)
                if value and value not in seen:
                    seen.append(value)
            return sep.join(seen)

        return join
    if isinstance(spec, dict) and "extract" in spec:
        transform = TRANSFORMS.get(spec["extract"])
        if transform is None:
            raise MappingError(f"unknown transform {spec['extract']!r}; known: {sorted(TRANSFORMS)}")
        inner = _compile_spec(spec["from"], index)
        if inner is None:
            return None
        return lambda row: transform(inner(row))
    raise MappingError(f"bad column spec {spec!r}")


def identity_mapping() -> Mapping:
    return Mapping(name="hotline", title="Hotline case CSV (the CLI contract's schema)",
                   columns={c: c for c in SCHEMA_COLUMNS})


def _from_toml(data: dict[str, Any], where: str) -> Mapping:
    try:
        return Mapping(name=data["name"], title=data.get("title", ""), tz=data.get("tz", ""),
                       detect=list(data.get("detect", [])), columns=dict(data["columns"]))
    except KeyError as exc:
        raise MappingError(f"{where}: missing {exc.args[0]!r}") from exc


def builtin_mappings() -> dict[str, Mapping]:
    found = {"hotline": identity_mapping()}
    folder = resources.files("models.importing").joinpath("mappings")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            mapping = _from_toml(tomllib.loads(item.read_text("utf-8")), item.name)
            found[mapping.name] = mapping
    return found


def load_mapping(name_or_path: str) -> Mapping:
    """A built-in mapping by name, or a mapping file."""
    builtins = builtin_mappings()
    if name_or_path in builtins:
        return builtins[name_or_path]
    path = Path(name_or_path)
    if not path.exists():
        raise MappingError(
            f"no mapping {name_or_path!r}: give a mapping file or one of {sorted(builtins)}")
    try:
        return _from_toml(tomllib.loads(path.read_text("utf-8")), str(path))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: {exc}") from exc


def detect_mapping(header: list[str]) -> Mapping:
    """The built-in mapping whose signature columns the header has; else the case schema."""
    for mapping in builtin_mappings().values():
        if mapping.matches(header):
            return mapping
    return identity_mapping()
