"""Every feature's record types in one registry: importing the features makes them register (ledger/log/records.py).

`ledger audit` walks what this returns; a feature that logs a new record type registers it in its own module and
is imported here.
"""

from __future__ import annotations

from ledger.log.records import RECORD_TYPES, Registry


def all_record_types() -> Registry:
    from ledger import completions, courses, issuance, legacy, signing_keys, tenancy  # noqa: F401
    from ledger.statistics import plans  # noqa: F401

    return RECORD_TYPES
