"""Alembic environment, driven programmatically by `sync.server.migrate` (no alembic.ini): the
caller hands over a connection in `config.attributes["connection"]`."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
