"""Alembic environment: migrations run on the connection the store hands over
(``config.attributes["connection"]``), so there is one way to reach the database."""

from alembic import context

from observe.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
