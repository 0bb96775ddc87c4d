"""The terminal's local store: one SQLite file, its tables, migrations, outbox and drafts.

`Store` and `open_store` are the way in; the tables live in `models.store.tables`.
"""

from .errors import StoreProblem
from .local import STORE_FILE, Store, connect, default_data_dir, open_store

__all__ = ["STORE_FILE", "Store", "StoreProblem", "connect", "default_data_dir", "open_store"]
