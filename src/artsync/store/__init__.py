"""Storage: SQLAlchemy models, engines and sessions, Alembic migrations, row ↔ domain mapping."""
