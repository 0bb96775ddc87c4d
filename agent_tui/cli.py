"""The `hotline` command line (docs/cli-contract.md).

Each command's module is imported when that command runs (or when --help lists them), and heavy
imports stay inside the commands: `hotline` alone goes straight to the TUI. `hotline` itself
takes the common options (`hotline --data-dir D --lang en` opens the form on D), and passes
them on to the command named after them.
"""

from __future__ import annotations

import importlib

import click

from . import collector
from .options import GroupFlags, flag_options

# command name -> "module:attribute" under agent_tui.commands
COMMANDS = {
    "tui": "tui:tui_cmd",
    "demo": "tui:demo_cmd",
    "import": "data:import_cmd",
    "cases": "data:cases_cmd",
    "new": "intake:new_cmd",
    "ring": "ring:ring_cmd",
    "search": "search:search_cmd",
    "route": "route:route_cmd",
    "catalogue": "data:catalogue_group",
    "server": "sync:server_cmd",
    "user": "sync:user_group",
    "sync": "sync:sync_cmd",
    "queue": "sync:queue_cmd",
    "kb": "kb:kb_group",
    "case": "lifecycle:case_cmd",
    "act": "lifecycle:act_cmd",
}
TUI_COMMANDS = {None, "tui", "demo"}  # `hotline` alone opens the TUI


def load_command(name: str) -> click.Command:
    module, attr = COMMANDS[name].split(":")
    return getattr(importlib.import_module(f"agent_tui.commands.{module}"), attr)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return load_command(name) if name in COMMANDS else None


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@flag_options
@click.pass_context
def cli(click_ctx: click.Context, **flags: object) -> None:
    """Hotline: the agent terminal of a citizen-service hotline (12345 / 311).

    Run alone, it opens the agent TUI (as `hotline tui`). The options given here count for the
    command that follows unless it gives them again.
    """
    click_ctx.obj = GroupFlags(flags)
    if click_ctx.invoked_subcommand not in TUI_COMMANDS:
        collector.resume()  # the TUI resumes it after its first frame
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(load_command("tui"))


def main() -> None:
    from models.store.errors import StoreProblem  # light: no SQLAlchemy

    try:
        cli(prog_name="hotline")
    except StoreProblem as exc:  # a sentence that says what to do, not a traceback
        click.echo(f"hotline: {exc}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
