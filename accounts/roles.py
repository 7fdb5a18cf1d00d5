"""Staff roles, held as Django groups so that the admin can grant them."""

from __future__ import annotations

SUPPORT = "support"
ACCOUNTING = "accounting"
STAFF_ROLES = (SUPPORT, ACCOUNTING)
# Only these move money (refunds); support reads, cancels, resumes and retries.
MONEY_ROLES = (ACCOUNTING,)
