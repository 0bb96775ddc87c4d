"""A pulled case full of what a hostile server (or an old, unvalidated row) could send:
ESC/CSI and OSC sequences (title, clear screen, OSC 52 clipboard), C1 controls, bidi overrides.

`hostile_store` writes it through `sync.client.apply.apply_pull`, the path a pull takes, so every
printing command and every screen reads it exactly as they would read a real pull."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

# Every way a string can drive a terminal: CSI (clear screen), OSC 0 (title), OSC 52 (clipboard
# write), 8-bit CSI / OSC / ST (C1), NEL, bidi override / isolate, BEL, BS, DEL.
EVIL = ("\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x9b31m\x9d0;c1title\x9c\x85"
        "\u202eevil\u202c\u2066iso\u2069\x08\x7f")
# What must still be readable once the controls are gone.
VISIBLE = "HOSTILE"

# What may never reach a terminal from stored text (TAB and LF are allowed).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CASE_NO = f"{VISIBLE}{EVIL}-0001"
DEPT = "evil_dept"


def hostile(label: str) -> str:
    return f"{VISIBLE}-{label}{EVIL}tail"


def leaks(text: str) -> list[str]:
    """The forbidden characters in `text`, as their code points (for a readable failure)."""
    return sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})


def hostile_pull(case_id: str | None = None, *, description: str | None = None,
                 reject_seq: int = 0):
    from sync.protocol import Ack, PullResponse

    now = datetime.now(UTC)
    case_id = case_id or str(uuid.uuid4())
    case = dict(
        id=case_id, case_no=CASE_NO, external_id=None, source="local",
        created_at=now - timedelta(hours=1), updated_at=now - timedelta(hours=1),
        caller_phone="+8613912345678", caller_withheld=False, caller_name=hostile("name"),
        title=hostile("title"), description=description if description is not None
        else hostile("description") + "\n路灯不亮 street light out",
        address=hostile("address") + " 梦都大街1号", district=hostile("district"),
        location_kind="public_road", category="street_light", urgency="normal",
        disposition="dispatch", lead_department=DEPT, co_departments=[DEPT],
        status="returned", due_at=now + timedelta(days=1), resolved_at=None,
        resolution=hostile("resolution"), satisfaction="", lat=None, lon=None,
        agent=hostile("agent"), version=1, repeat_count=0, return_reason=hostile("reason"))
    events = [dict(id=str(uuid.uuid4()), case_id=case_id, kind="note", at=now,
                   agent=hostile("by"), note=hostile("note"), data={"x": hostile("data")})]
    departments = [dict(code=DEPT, name_zh=hostile("部门"), name_en=hostile("dept"),
                        aliases=[hostile("alias")], categories=["street_light"],
                        location_kinds=["public_road"])]
    acks = [Ack(seq=reject_seq, outcome="rejected", reason=hostile("rejected"))] if reject_seq else []
    return PullResponse(cursor=1, cases=[case], events=events, departments=departments,
                        server_time=now, last_seq=reject_seq, acks=acks, acks_to=reject_seq)


def put_hostile_case(store, case_id: str | None = None, *, rejected: bool = True, **kw) -> str:
    """Apply a hostile pull to `store`; returns the case id. With `rejected`, a case is first
    filed here and the pull rejects its upload with a hostile reason (the queue shows it), and
    the last sync error is hostile too (as a server's error text would be)."""
    from models.cases import file_case
    from models.domain.case_shape import CaseDraft
    from sync.client import queue
    from sync.client.apply import apply_pull

    seq = 0
    if rejected:
        file_case(store, CaseDraft(description="路灯不亮 local case", address="梦都大街2号",
                                   lead_department="street_light_office"), "a1")
        seq = max(r.seq for r in queue.items(store))
    resp = hostile_pull(case_id, reject_seq=seq, **kw)
    apply_pull(store, resp)
    if rejected:
        queue.set_error(store, hostile("last-error"))
    return resp.cases[0].id
