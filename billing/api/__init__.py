"""Billing's own HTTP API: invoices, mounted at /api/v1/."""
