"""For departments (a token of role `department`, bound to one department): its open orders,
one order with its timeline, and its steps: accept, return (a reason code), progress, resolve
(the resolution), request an extension (a new deadline). `sync.server.departments` does the
work; each step is an event on the case's timeline that the terminals pull.

A step the case's state does not allow is 422 naming `action`, the state and the steps it
allows; a missing or bad value is 422 naming its field; a case that is not the department's
is 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from models.domain.lifecycle import MAX_STEP_NOTE, Action, ReturnReason, Step
from models.domain.messages import Problem, ValidationFailed
from sync.protocol import ID_PATTERN, MAX_OFFSET, CaseWire, EventWire, WireTime

from .. import departments
from ..deps import DB, DepartmentUser
from ..errors import ApiError, error_responses
from ..jsonbody import WireRoute

router = APIRouter(prefix="/v1/department", tags=["departments"], route_class=WireRoute,
                   responses=error_responses(401, 403, 422, 429, 503))

CaseRef = Annotated[str, Path(max_length=64, pattern=ID_PATTERN, description="case id or number")]
Note = Annotated[str, Field(max_length=MAX_STEP_NOTE)]


class OpenOrder(BaseModel):
    case: CaseWire
    latest_step: EventWire | None = None
    reminders: int = Field(0, description="reminders (催办) on its timeline")
    last_reminded_at: WireTime | None = None


class Order(BaseModel):
    case: CaseWire
    events: list[EventWire]


class StepTaken(BaseModel):
    case: CaseWire = Field(description="the case after the step")
    event: EventWire = Field(description="the step as recorded on the timeline")


class AcceptBody(BaseModel):
    note: Note = ""


class ReturnBody(BaseModel):
    reason: ReturnReason = Field(description="why it is not ours: a reason code")
    note: Note = Field("", description="what the lead should know (required for `other`)")


class ProgressBody(BaseModel):
    note: Note = Field(min_length=1, description="what was done so far")


class ResolveBody(BaseModel):
    resolution: Note = Field(min_length=1, description="what was done (办理结果)")


class ExtendBody(BaseModel):
    due_at: WireTime = Field(description="the deadline asked for (later than the current one)")
    note: Note = Field(min_length=1, description="why more time is needed")


def _not_found(ref: str) -> ApiError:
    return ApiError(404, "not_found", f"no case {ref} for this department")


def _act(db, user, ref: str, step: Step) -> StepTaken:
    try:
        case, event = departments.act(db, user, ref, step)
    except departments.NotFound:
        raise _not_found(ref) from None
    except ValidationFailed as exc:
        if step.action is Action.RESOLVE:  # the body calls the resolution by its name
            raise ValidationFailed([Problem("resolution" if p.field == "note" else p.field,
                                            p.code, p.params) for p in exc.problems]) from None
        raise
    return StepTaken(case=case, event=event)


_STEP = {"response_model": StepTaken, "responses": error_responses(404, 413)}


@router.get("/orders", response_model=list[OpenOrder],
            summary="The department's open orders (dispatched or in progress), earliest deadline first")
def open_orders(user: DepartmentUser, db: DB, limit: int = Query(200, ge=1, le=1000),
                offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[dict[str, Any]]:
    return departments.open_orders(db, user, limit=limit, offset=offset)


@router.get("/orders/{case_id}", response_model=Order, responses=error_responses(404),
            summary="One of the department's cases with its timeline")
def order(case_id: CaseRef, user: DepartmentUser, db: DB) -> Order:
    try:
        case, events = departments.order(db, user, case_id)
    except departments.NotFound:
        raise _not_found(case_id) from None
    return Order(case=case, events=events)


@router.post("/orders/{case_id}/accept", summary="Accept a dispatched order (签收)", **_STEP)
def accept(case_id: CaseRef, user: DepartmentUser, db: DB, body: AcceptBody) -> StepTaken:
    return _act(db, user, case_id, Step(Action.ACCEPT, note=body.note))


@router.post("/orders/{case_id}/return", summary="Return an order (退单), with a reason code; a "
             "shift lead reviews it", **_STEP)
def return_order(case_id: CaseRef, user: DepartmentUser, db: DB, body: ReturnBody) -> StepTaken:
    return _act(db, user, case_id, Step(Action.RETURN, note=body.note, reason=body.reason.value))


@router.post("/orders/{case_id}/progress", summary="Report progress", **_STEP)
def progress(case_id: CaseRef, user: DepartmentUser, db: DB, body: ProgressBody) -> StepTaken:
    return _act(db, user, case_id, Step(Action.PROGRESS, note=body.note))


@router.post("/orders/{case_id}/resolve", summary="Resolve an order (办结), with the resolution", **_STEP)
def resolve(case_id: CaseRef, user: DepartmentUser, db: DB, body: ResolveBody) -> StepTaken:
    return _act(db, user, case_id, Step(Action.RESOLVE, note=body.resolution))


@router.post("/orders/{case_id}/extend", summary="Request a later deadline (申请延期); a shift "
             "lead approves or refuses it", **_STEP)
def extend(case_id: CaseRef, user: DepartmentUser, db: DB, body: ExtendBody) -> StepTaken:
    return _act(db, user, case_id, Step(Action.EXTEND, note=body.note, due_at=body.due_at))
