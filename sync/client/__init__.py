"""The terminal's side of sync: the outbox queue (`queue`), the HTTP API with its error classes
(`http`), backoff (`backoff`), applying pulled changes (`apply`), one sync pass with retries
(`engine.SyncEngine`), the background worker for the TUI (`worker.SyncWorker`) and the
token file (`credentials`).

Never imports `sync.server`."""
