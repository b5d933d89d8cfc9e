"""Every feature's record types in one registry: importing the features makes them register (ledger/log/records.py).

`ledger audit` walks what this returns; a feature that logs a new record type registers it in its own module and
is imported here.
"""

from __future__ import annotations

from ledger.log.records import RECORD_TYPES, Registry


def all_record_types() -> Registry:
    import ledger.certificates.issuance
    import ledger.certificates.legacy
    import ledger.certificates.sharing
    import ledger.registration.courses
    import ledger.registration.service
    import ledger.statistics.plans
    import ledger.statistics.reconciliation
    import ledger.tenancy.service
    import ledger.tenancy.signing_keys  # noqa: F401  (imported so that their record types register)

    return RECORD_TYPES
