"""The one shape of a case: every field a case carries, written once.

Three layers, each deriving from the one before:

- `CaseIntake`: what a person says about a case — the intake form's fields and the case CSV's
  columns, named as the schema names them.
- `CaseRecord`: everything a stored case carries: the intake fields plus identity, times,
  the state of its lifecycle and its counters.
- `CaseDraft`: what the agent typed, as typed (every field a string, nothing resolved yet), plus
  the call's notes.

`models.store.tables.Case` (the table, on the terminal and the server) and
`sync.protocol.CaseWire` (a case as it travels) both derive from `CaseRecord`. Adding a column
to a case is: a field here, one migration step for the terminal's store
(`models/store/migrations.py`) and one Alembic revision for the server
(`sync/server/migrations/versions/`); `tests/models/test_case_shape.py` checks that the table,
the wire and the draft agree. How values are validated is `models.domain.validation`.

Pydantic only (no SQLAlchemy): the intake form imports this before its first frame.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CaseIntake(BaseModel):
    """What a person says about a case (the intake form's fields, in the schema's names)."""

    model_config = ConfigDict(extra="ignore")

    caller_phone: str = ""  # E.164 once stored; "" when withheld or unknown
    caller_name: str = ""
    title: str = ""  # a short subject line (made from the description when empty)
    description: str = ""
    address: str = ""
    district: str = ""
    location_kind: str = "other"  # models.domain.enums.LocationKind
    category: str = ""  # a catalogue code once stored
    urgency: str = "normal"  # models.domain.enums.Urgency
    disposition: str = "dispatch"  # models.domain.enums.Disposition
    lead_department: str = ""  # a catalogue code once stored
    co_departments: list[str] = Field(default_factory=list)


class CaseRecord(CaseIntake):
    """Every field of a stored case (the terminal-local `sync_state` is the table's own)."""

    id: str  # UUIDv7, made where the case is first saved
    case_no: str  # human-readable, e.g. A3F2-261126-0007
    external_id: str | None = None  # the source system's id, for imported cases
    source: str = "local"  # local | import:<mapping>
    created_at: AwareDatetime  # on the server: when the server received it (see taken_at)
    updated_at: AwareDatetime
    # The terminal's own clock when the case was taken, kept for the record beside the server's
    # receipt time (`created_at`); None when the terminal's clock was implausible.
    taken_at: AwareDatetime | None = None
    caller_withheld: bool = False
    status: str = "open"  # models.domain.enums.Status
    due_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    resolution: str = ""
    satisfaction: str = ""
    lat: float | None = None
    lon: float | None = None
    agent: str = ""  # who filed it
    version: int = 1
    repeat_count: int = 0
    # The lifecycle's state beyond `status` (models.domain.lifecycle.event_effect keeps them):
    return_reason: str = ""  # the last return's reason, while a lead reviews it
    extension_due_at: AwareDatetime | None = None  # a department's request, awaiting a lead
    supervised_count: int = 0  # 督办: how often a lead pressed the department


# The fields that hold a time (aware, stored in UTC; exported in ISO 8601 with the offset).
TIME_FIELDS: frozenset[str] = frozenset(
    name for name, f in CaseRecord.model_fields.items()
    if f.annotation in (AwareDatetime, AwareDatetime | None))

# Fields a saved case's field edit (`case.fields.v1`) may change: corrections. Status and
# satisfaction move by lifecycle steps (a callback records satisfaction), never by edits;
# identity, times and counters are the system's.
EDITABLE_FIELDS: tuple[str, ...] = (
    "caller_name", "title", "description", "address", "district", "location_kind", "category",
    "urgency", "lead_department", "co_departments", "lat", "lon", "resolution",
)


class CaseDraft(CaseIntake):
    """What the agent typed, as typed: every field a string, nothing resolved yet.

    Never refuses a value (validation is `models.domain.validation`): whatever is typed is kept.
    """

    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseDraft:
        return cls.model_validate(data)

    def is_blank(self) -> bool:
        """Nothing typed yet (choices left at their defaults do not count)."""
        return not any((self.caller_phone.strip(), self.caller_name.strip(),
                        self.description.strip(), self.address.strip(), self.notes.strip(),
                        self.lead_department.strip(), *[d.strip() for d in self.co_departments]))


def intake_values(case: Any) -> dict[str, Any]:
    """The intake fields of any case-shaped object (a table row, a wire case, a draft)."""
    return {name: getattr(case, name) for name in CaseIntake.model_fields}
