"""Storage: the engine behind a URL, the tables, Alembic migrations and the one store API."""

from observe.store.api import LOCAL_ADMIN, Store
from observe.store.engine import resolve_url

__all__ = ["LOCAL_ADMIN", "Store", "resolve_url"]
