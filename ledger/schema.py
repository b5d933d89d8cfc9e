"""All tables, gathered for Alembic: importing this module registers every model on one metadata."""

import ledger.certificate_tables
import ledger.log.tables
import ledger.statistics.tables  # noqa: F401  (modules imported for their tables)
from ledger.models import Base

metadata = Base.metadata
