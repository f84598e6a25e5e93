"""Alembic environment: migrations run on the connection handed in by ``store.db.migrate``."""

from alembic import context

from artsync.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
