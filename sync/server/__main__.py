"""`python -m sync.server --db URL --host H --port P`: the server without the terminal's CLI."""

import argparse

from .run import serve

parser = argparse.ArgumentParser(prog="python -m sync.server")
parser.add_argument("--db", required=True)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8345)
parser.add_argument("--log-level", default="warning")
args = parser.parse_args()
serve(args.db, args.host, args.port, log_level=args.log_level)
