"""Certificates: issuance, numbering, status changes, verification, dual awards and legacy imports."""
