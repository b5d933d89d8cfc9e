"""Tenancy and keys: institutions with their evaluator filings, API keys, signing keys."""
