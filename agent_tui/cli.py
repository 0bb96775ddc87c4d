"""The `hotline` command line (../shared/docs/cli-contract.md). Heavy imports stay inside commands
so that `hotline --help` and the TUI start fast."""

from __future__ import annotations

import click

from .commands.data import cases_cmd, catalogue_group, import_cmd
from .commands.intake import new_cmd
from .commands.ring import ring_cmd
from .commands.route import route_cmd
from .commands.search import search_cmd
from .commands.sync import queue_cmd, server_cmd, sync_cmd, user_group
from .commands.tui import demo_cmd, tui_cmd


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Hotline: the agent terminal of a citizen-service hotline (12345 / 311).

    Run alone, it opens the agent TUI (as `hotline tui`).
    """
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(tui_cmd)


for command in (tui_cmd, demo_cmd, import_cmd, cases_cmd, new_cmd, ring_cmd, search_cmd, route_cmd, catalogue_group):
    cli.add_command(command)

for command in (server_cmd, user_group, sync_cmd, queue_cmd):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="hotline")


if __name__ == "__main__":
    main()
