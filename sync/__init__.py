"""Everything that crosses the wire: `protocol` (shared types), `client` (outbox sender and
puller) and `server` (the central FastAPI server). The server never imports the client and the
client never imports the server."""
