"""The `hotline` subcommands, one module per area; `agent_tui.cli` registers them."""
