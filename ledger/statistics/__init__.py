"""Statistics: exact talent stock, training volume, certificates, dual awards and plan progress (SPEC §2.6).

The write path calls `refresh_talent` in the same transaction as every certificate change.
"""

from ledger.statistics.refresh import refresh_talent

__all__ = ["refresh_talent"]
