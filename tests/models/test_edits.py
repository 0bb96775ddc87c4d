"""Field corrections: checked as the form checks them, applied and queued as one intent."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.cases import file_case
from models.cases.edits import edit_case
from models.domain.case_shape import CaseDraft
from models.domain.messages import ValidationFailed
from models.domain.mutations import Mutations
from models.store.outbox import Outbox
from models.store.tables import Case


def filed(store):
    return file_case(store, CaseDraft(description="龙蟠中路路灯不亮", address="龙蟠中路28号",
                                      category="路灯", lead_department="城管"), "a01")


def test_a_correction_takes_labels_and_names_and_queues_old_and_new(store):
    case = filed(store)
    diff = edit_case(store, case.id, {"address": "  龙蟠中路 38号 ", "urgency": "紧急",
                                      "co_departments": ["街道"]}, "a01")
    assert diff["address"] == ("龙蟠中路28号", "龙蟠中路 38号")
    with store.session() as s:
        saved = s.get(Case, case.id)
        row = s.exec(select(Outbox).where(Outbox.name == Mutations.CASE_FIELDS)).one()
    assert (saved.urgency, saved.co_departments) == ("urgent", ["street_office"])
    assert row.payload["fields"]["address"] == {"old": "龙蟠中路28号", "new": "龙蟠中路 38号"}


@pytest.mark.parametrize("changes,field,code", [
    ({"status": "closed"}, "status", "field.not_editable"),
    ({"satisfaction": "satisfied"}, "satisfaction", "field.not_editable"),
    ({"urgency": "whenever"}, "urgency", "urgency.unknown"),
    ({"lead_department": "魔法部"}, "lead_department", "department.unknown"),
    ({"category": "火星移民"}, "category", "category.unknown"),
    ({"lat": "north"}, "lat", "field.not_number"),
])
def test_a_bad_correction_is_refused_naming_the_field_and_nothing_changes(store, changes, field, code):
    case = filed(store)
    with pytest.raises(ValidationFailed) as err:
        edit_case(store, case.id, changes, "a01")
    assert (err.value.problems[0].field, err.value.problems[0].code) == (field, code)
    with store.session() as s:
        assert s.exec(select(Outbox).where(Outbox.name == Mutations.CASE_FIELDS)).first() is None
