"""`hotline tui` (the default) and `hotline demo`: open the agent's terminal UI."""

from __future__ import annotations

import sys

import click

from ..i18n import t
from ..options import Context, common_options


def run_tui(ctx: Context) -> None:
    if not sys.stdout.isatty():
        raise click.ClickException(t("cli.no_tty", ctx.lang))
    from ..app import HotlineApp

    # Only the store opens before the form is up; the catalogue, the engines and the sync
    # worker (its module too) start on threads after the first frame
    # (benchmarks/bench_intake.py measures it).
    store = ctx.store()

    def start_sync():  # None in local mode
        from .sync import start_sync_worker

        return start_sync_worker(store, ctx)

    app = HotlineApp(store, lang=ctx.lang, agent=ctx.agent, keymap=ctx.settings.keymap,
                     start_sync=start_sync)
    app.run()


@click.command("tui")
@common_options
def tui_cmd(ctx: Context) -> None:
    """The agent TUI (also what `hotline` alone runs)."""
    run_tui(ctx)


@click.command("demo")
@click.option("--cases", "count", type=int, default=400, show_default=True, help="Demo cases to seed.")
@click.option("--seed-only", is_flag=True, help="Seed the demo data dir and exit (no TUI).")
@click.option("--lead", is_flag=True, help="Sign in as the shift lead instead of the demo agent.")
@click.option("--no-server", is_flag=True, help="No embedded server: the TUI in local mode.")
@common_options
def demo_cmd(count: int, seed_only: bool, lead: bool, no_server: bool, ctx: Context) -> None:
    """The whole system on one machine, seeded with realistic demo data.

    Starts an embedded central server (SQLite, a free localhost port) and opens the TUI signed in
    as the demo agent (--lead: as the shift lead). Uses its own data dir (`demo/` inside the data
    dir) unless --data-dir is given.
    """
    from models.demo import seed_demo

    if not ctx.data_dir_given:  # keep demo cases out of the agent's real store
        ctx.update(data_dir=ctx.data_dir / "demo")
    if not ctx.agent_given:
        ctx.update(agent="demo")
    store = ctx.store()
    added = seed_demo(store, count)
    if added:
        click.echo(t("cli.demo_seeded", ctx.lang, n=added, path=store.path), err=True)
    if seed_only:
        return
    if no_server:
        run_tui(ctx)
        return
    from ..demo_server import start_demo

    demo = start_demo(ctx, store, lead=lead, fresh=bool(added))
    try:
        run_tui(ctx)
    finally:
        demo.stop()
