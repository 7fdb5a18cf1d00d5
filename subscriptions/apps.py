from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from payments.signals import card_setup_status_changed, payment_status_changed
        from subscriptions.receivers import (
            enqueue_subscription_card_setup,
            enqueue_subscription_payment,
        )

        payment_status_changed.connect(
            enqueue_subscription_payment,
            dispatch_uid="subscriptions.enqueue_subscription_payment",
        )
        card_setup_status_changed.connect(
            enqueue_subscription_card_setup,
            dispatch_uid="subscriptions.enqueue_subscription_card_setup",
        )
