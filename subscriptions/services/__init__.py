"""Use cases of the subscriptions app (STYLE 3.2): one public function per use case."""

from subscriptions.services._billing_periods import UnknownTimeZone
from subscriptions.services._cancellation import (
    Cancellation,
    cancel_subscription,
    undo_cancellation,
)
from subscriptions.services._charge_outcomes import DunningPolicy, Outcome
from subscriptions.services._dunning_notices import send_dunning_reminder
from subscriptions.services._forgetting import ForgottenPayer, forget_payer
from subscriptions.services._lifecycle import (
    RenewalInProgress,
    change_payment_method,
    pause_subscription,
    resume_subscription,
    retry_past_due_now,
)
from subscriptions.services._plan_changes import (
    PlanChange,
    PlanChangeChargesNow,
    PlanChangeNotAllowed,
    PlanChangePaymentFailed,
    Timing,
    change_plan,
)
from subscriptions.services._plan_checkout import PlanCheckout, open_plan_checkout
from subscriptions.services._plans import (
    DuplicatePlan,
    InvalidPlan,
    PlanInactive,
    PlanNotFound,
    active_plan,
    change_plan_price,
    create_plan,
    migrate_subscribers_to_current_price,
    set_plan_active,
)
from subscriptions.services._renewal_context import RENEWAL_ACTOR, RenewalReport
from subscriptions.services._renewal_forecast import (
    ForecastAction,
    ForecastLine,
    RenewalForecast,
    forecast_renewals,
)
from subscriptions.services._renewal_run import renew_due_subscriptions
from subscriptions.services._subscribe import (
    InvalidSubscriptionRequest,
    NothingToComplete,
    StartedSubscription,
    SubscriptionNotFound,
    complete_subscription_3ds,
    subscribe,
)
from subscriptions.services._subscription_opening import (
    INCOMPLETE_EXPIRES_AFTER,
    AlreadySubscribed,
)
from subscriptions.services._subscription_settlement import (
    settle_subscription_card_setup,
    settle_subscription_payment,
)
from subscriptions.services._three_ds_steps import CompletedStep, complete_3ds_step

__all__ = [
    "INCOMPLETE_EXPIRES_AFTER",
    "RENEWAL_ACTOR",
    "AlreadySubscribed",
    "Cancellation",
    "CompletedStep",
    "DunningPolicy",
    "DuplicatePlan",
    "ForecastAction",
    "ForecastLine",
    "ForgottenPayer",
    "InvalidPlan",
    "InvalidSubscriptionRequest",
    "NothingToComplete",
    "Outcome",
    "PlanChange",
    "PlanChangeChargesNow",
    "PlanChangeNotAllowed",
    "PlanChangePaymentFailed",
    "PlanCheckout",
    "PlanInactive",
    "PlanNotFound",
    "RenewalForecast",
    "RenewalInProgress",
    "RenewalReport",
    "StartedSubscription",
    "SubscriptionNotFound",
    "Timing",
    "UnknownTimeZone",
    "active_plan",
    "cancel_subscription",
    "change_payment_method",
    "change_plan",
    "change_plan_price",
    "complete_3ds_step",
    "complete_subscription_3ds",
    "create_plan",
    "forecast_renewals",
    "forget_payer",
    "migrate_subscribers_to_current_price",
    "open_plan_checkout",
    "pause_subscription",
    "renew_due_subscriptions",
    "resume_subscription",
    "retry_past_due_now",
    "send_dunning_reminder",
    "set_plan_active",
    "settle_subscription_card_setup",
    "settle_subscription_payment",
    "subscribe",
    "undo_cancellation",
]
