"""Admin for accounting (SPEC §8): plans and subscriptions, changed through services.

Prices are never edited in place (a new price is a new row, through
`change_plan_price`), and subscriptions change only through confirmed actions that
call the lifecycle services. Staff in either role view everything; the changes are
for accounting (the `subscriptions.add_plan`, `change_plan` and
`change_subscription` permissions, granted to that group after migrations) and
superusers.

Modules by concept: `_plans` (plans and their price history), `_subscriptions`
(subscriptions and their actions), `_filters` (the subscription changelist's
filters). The service forms and confirmed actions are the kit's (`kit.admin.pages`).
"""

from subscriptions.admin._plans import PlanAdmin, PlanPriceInline
from subscriptions.admin._subscriptions import SubscriptionAdmin

__all__ = ["PlanAdmin", "PlanPriceInline", "SubscriptionAdmin"]
