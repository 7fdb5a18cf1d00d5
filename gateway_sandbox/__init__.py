"""The gateway sandbox: a local HTTP server that speaks CloudPayments' and Stripe's wire
protocols so that the unmodified official SDKs can be pointed at it.

It is a stand-alone gateway, not part of the billing domain: it keeps its own state in
memory (the truth that reconciliation is checked against), optionally saved to a state
file across restarts (`snapshots.py`), and imports no domain code.
"""
