"""All tables, gathered for Alembic: importing this module registers every model on one metadata."""

import ledger.certificates.tables
import ledger.jobs.tables
import ledger.log.tables
import ledger.people.tables
import ledger.reference.tables
import ledger.registration.tables
import ledger.statistics.reconciliation
import ledger.statistics.tables
import ledger.tenancy.tables  # noqa: F401  (modules imported for their tables)
from ledger.database.base import Base

metadata = Base.metadata
