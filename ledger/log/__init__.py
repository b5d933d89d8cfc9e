"""The tamper-evident ledger: an RFC 9162 Merkle log kept in PostgreSQL (SPEC §6)."""
