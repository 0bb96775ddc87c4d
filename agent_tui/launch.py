"""The `hotline` command's entry point: the collector is paused before anything is imported
(`agent_tui.collector` says why and when it resumes), then the command line runs."""

from __future__ import annotations

from . import collector

collector.pause()


def main() -> None:
    from .cli import main as run

    run()


if __name__ == "__main__":
    main()
