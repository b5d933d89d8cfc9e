"""All tables, gathered for Alembic: importing this module registers every model on one metadata."""

import ledger.log.tables  # noqa: F401  (registers the log tables)
from ledger.models import Base

metadata = Base.metadata
