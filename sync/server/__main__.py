"""`python -m sync.server [--config FILE] [--db URL] [--host H] [--port P]`: the server without
the terminal's CLI. Settings: flags over HOTLINE_* variables over the settings file
(`--config` or HOTLINE_SERVER_CONFIG); see `sync.server.settings`."""

import argparse

from .run import serve
from .settings import SettingsError, load_settings

parser = argparse.ArgumentParser(prog="python -m sync.server")
parser.add_argument("--config", help="TOML settings file (env HOTLINE_SERVER_CONFIG)")
parser.add_argument("--db", help="database URL or SQLite path (env HOTLINE_DB)")
parser.add_argument("--host", help="interface to listen on (default 127.0.0.1; env HOTLINE_HOST)")
parser.add_argument("--port", type=int, help="TCP port (default 8345; env HOTLINE_PORT)")
parser.add_argument("--log-level", help="default warning here (env HOTLINE_LOG_LEVEL)")
args = parser.parse_args()
try:
    # Quieter than `hotline server` by default: tests and the demo run this one in the background.
    settings = load_settings(args.config, defaults={"log_level": "warning"}, db=args.db,
                             host=args.host, port=args.port, log_level=args.log_level)
except SettingsError as exc:
    parser.error(str(exc))
if not settings.db:
    parser.error("no database: give --db, HOTLINE_DB or `db` in the settings file")
serve(settings)
