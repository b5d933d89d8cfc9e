"""The database: engine (configured or embedded PostgreSQL), migrations, roles, the table base, the
asyncpg driver under a session and the record loaders."""
