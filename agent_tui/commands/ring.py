"""`hotline ring NUMBER`: screen pop from the phone system (a softphone or CTI hook)."""

from __future__ import annotations

import click

from ..options import Context, common_options


@click.command("ring")
@click.argument("number")
@common_options
def ring_cmd(number: str, ctx: Context) -> None:
    """Tell the TUI running for this agent (same data dir) that a call is ringing from NUMBER.

    The TUI opens a new call with the number filled in and the caller's history on screen; a
    call in progress is kept as a draft. If no TUI is running, the call pops up when it starts.
    """
    from models.domain.phone import PhoneError, normalise_phone
    from models.store.drafts import ring

    try:
        normalise_phone(number)
    except PhoneError as exc:
        raise click.BadParameter(f"{number!r} is not a phone number ({exc})") from exc
    ring(ctx.store(), number)
