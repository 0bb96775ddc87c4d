"""`hotline case` (one case with its timeline) and `hotline act` (one lifecycle step), for scripts
and department integrations: a step is checked by the same rules as in the TUI
(`models.domain.lifecycle`), recorded and queued for the server like a new case."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..display import json_text
from ..i18n import t
from ..options import Context, common_options

ACTIONS = ("dispatch", "accept", "return", "send_back", "progress", "resolve", "callback", "reopen",
           "close", "supervise", "extend", "approve_extension", "refuse_extension", "note", "edit")


@click.command("case")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the schema's columns, status, due_at and events.")
@common_options
def case_cmd(number: str, as_json: bool, ctx: Context) -> None:
    """One case (by case number or id) with its timeline; with --server, the server's copy."""
    record = _server_case(ctx, number) if ctx.server else _local_case(ctx, number)
    if record is None:
        raise click.ClickException(t("case.not_found", ctx.lang, number=number))
    if as_json:
        click.echo(_json(record))
        return
    _print_case(record, ctx.lang, _names(ctx))


@click.command("act")
@click.argument("number")
@click.argument("action", type=click.Choice(ACTIONS))
@click.option("--department", default="", help="dispatch: the lead department (code, name or alias).")
@click.option("--co", multiple=True, help="dispatch: a co-handling department (repeatable).")
@click.option("--reason", default="", help="return: not_our_jurisdiction, overlapping_duties, "
              "insufficient_information, duplicate or other (with --note).")
@click.option("--note", default="", help="What was done or why (progress, resolve, supervise, ...).")
@click.option("--satisfaction", default="", help="callback: satisfied, basically_satisfied or unsatisfied.")
@click.option("--due", default="", help="supervise (a new deadline) or extend (the deadline asked for): a date or time.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="edit: a field to correct (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the case after the step as JSON.")
@common_options
def act_cmd(number: str, action: str, department: str, co: tuple[str, ...], reason: str, note: str,
            satisfaction: str, due: str, fields: tuple[str, ...], as_json: bool, ctx: Context) -> None:
    """Take one step of a case's lifecycle, queued and synced like a new case; print the case's
    new state. A step the case's state (or your role) does not allow exits with status 2 and
    names the state and the steps allowed."""
    from models.cases.steps import take_step
    from models.domain.lifecycle import Action, Step
    from models.domain.messages import ValidationFailed

    store = ctx.store()
    try:
        if action == "edit":
            case_id = _edit(store, number, fields, ctx)
        else:
            step = Step(Action(action), note=note, reason=reason, satisfaction=satisfaction,
                        lead_department=department, co_departments=list(co),
                        due_at=_due(due, ctx) if due else None)
            case, _event = take_step(store, number, _actor(store, ctx), step)
            case_id = case.id
    except KeyError:
        raise click.ClickException(t("case.not_found", ctx.lang, number=number)) from None
    except ValidationFailed as exc:
        for message in exc.messages(ctx.lang):
            click.echo(message, err=True)
        sys.exit(2)
    record = _local_case(ctx, case_id)
    click.echo(_json(record) if as_json else _state_line(record, ctx.lang, _names(ctx)))


def _actor(store: Any, ctx: Context):
    """Who takes the step: the agent id, and the role and department the server gave this
    terminal's token (an agent until the server has said otherwise)."""
    from models.domain.lifecycle import Actor, Role
    from sync.client.queue import DEPARTMENT, ROLE

    role = store.get_meta(ROLE) or Role.AGENT.value
    return Actor(ctx.agent, Role(role), store.get_meta(DEPARTMENT))


def _edit(store: Any, number: str, fields: tuple[str, ...], ctx: Context) -> str:
    from models.cases.edits import edit_case
    from models.cases.steps import find_case

    changes: dict[str, Any] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE", param_hint="--field")
        changes[name.strip()] = [v.strip() for v in value.split(",") if v.strip()] \
            if name.strip() == "co_departments" else value
    if not changes:
        raise click.BadParameter("give at least one --field NAME=VALUE", param_hint="--field")
    with store.session() as session:
        case = find_case(session, number)
    if case is None:
        raise KeyError(number)
    edit_case(store, case.id, changes, ctx.agent)
    return case.id


def _due(raw: str, ctx: Context):
    from datetime import time

    from models.domain.timeutil import DateParseError, DateParser

    try:
        at = DateParser()(raw)
    except DateParseError as exc:
        raise click.BadParameter(str(exc), param_hint="--due") from None
    if at.time() == time(0, 0) and len(raw.strip()) <= 10:  # a date: the end of its working day
        at = at.replace(hour=18)
    return at


def _local_case(ctx: Context, ref: str) -> dict[str, Any] | None:
    from models.cases import case_record, timeline
    from models.cases.steps import find_case

    store = ctx.store()
    with store.session() as session:
        case = find_case(session, ref)
    if case is None:
        return None
    return case_record(case) | {"events": [_event_record(e) for e in timeline(store, case.id)]}


def _server_case(ctx: Context, ref: str) -> dict[str, Any] | None:
    from models.cases import case_record
    from models.store.tables import Case, CaseEvent
    from sync.client.http import ServerApi, SyncError
    from sync.protocol import CaseWire, EventWire

    api = ServerApi(ctx.server, lambda: ctx.token)
    try:
        found = api.get(f"/v1/cases/{ref}")
    except SyncError as exc:
        if "404" in str(exc) or "not_found" in str(exc):
            return None
        raise click.ClickException(f"{ctx.server}: {exc}") from exc
    finally:
        api.close()
    case = Case(**CaseWire.model_validate(found["case"]).model_dump(), sync_state="synced")
    events = [CaseEvent(**EventWire.model_validate(e).model_dump()) for e in found["events"]]
    return case_record(case) | {"events": [_event_record(e) for e in events]}


def _event_record(event: Any) -> dict[str, Any]:
    """An event as the contract names it: kind, at, by, and what that step carries."""
    from models.domain.timeutil import to_iso

    record = {"kind": event.kind, "at": to_iso(event.at), "by": event.agent, "note": event.note}
    for key in ("department", "lead_department", "co_departments", "reason", "satisfaction",
                "due_at", "from", "role"):
        if key in event.data:
            record[key] = event.data[key]
    return record


def _json(record: dict[str, Any]) -> str:

    return json_text(record)


def _names(ctx: Context) -> dict[str, dict[str, str]]:
    """Department and category names by code, in the command's language (for a person: --json
    keeps the codes)."""
    from models.reference.views import category_choices, department_labels

    store = ctx.store()
    return {"department": department_labels(store, ctx.lang),
            "category": {code: label.strip() for label, code in category_choices(store, ctx.lang)}}


def _state_line(record: dict[str, Any], lang: str, names: dict[str, dict[str, str]]) -> str:
    from models.domain.enums import Status
    from models.domain.text import clean_text

    departments = names["department"]
    parts = [clean_text(record["case_no"]), Status.label_for(record["status"], lang)]
    if record.get("department"):
        parts.append(clean_text(departments.get(record["department"], record["department"])))
    if record.get("due_at"):
        parts.append(t("case.due_short", lang, due=record["due_at"][:16].replace("T", " ")))
    return "  ".join(parts)


def _print_case(record: dict[str, Any], lang: str, names: dict[str, dict[str, str]]) -> None:
    from models.domain.enums import EventKind
    from models.domain.phone import Phone
    from models.domain.text import clean_text

    click.echo(_state_line(record, lang, names))
    phone = Phone(record.get("caller_phone") or "", not record.get("caller_phone"))
    departments, category = names["department"], record.get("category") or ""
    values = {
        "caller_phone": phone.display(),  # (national at home, +1 212 ... from abroad)
        "caller_name": record.get("caller_name"), "description": record.get("description"),
        "address": record.get("address"), "category": names["category"].get(category, category),
        "co_departments": ", ".join(departments.get(c, c) for c in record.get("co_departments") or []),
    }
    for key, value in values.items():
        if value:
            click.echo(f"{t('field.' + key, lang)}: {clean_text(str(value), multiline=False)}")
    for event in record["events"]:
        what = EventKind.label_for(event["kind"], lang)
        dept = event.get("lead_department")
        shown = {**event, "lead_department": departments.get(dept, dept) if dept else dept}
        extra = " ".join(clean_text(str(shown[k])) for k in
                         ("lead_department", "reason", "satisfaction", "due_at") if shown.get(k))
        note = clean_text(event.get("note", ""), multiline=False)
        click.echo(f"  {event['at'][:16].replace('T', ' ')}  {what}  {clean_text(event['by'])}"
                   f"{'  ' + extra if extra else ''}{'  ' + note if note else ''}")
