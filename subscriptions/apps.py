from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from payments.signals import card_setup_status_changed, payment_status_changed
        from subscriptions.receivers import (
            enqueue_dunning_reminder,
            enqueue_subscription_card_setup,
            enqueue_subscription_payment,
            grant_staff_permissions,
        )
        from subscriptions.signals import renewal_payment_failed

        post_migrate.connect(grant_staff_permissions, sender=self)

        payment_status_changed.connect(
            enqueue_subscription_payment,
            dispatch_uid="subscriptions.enqueue_subscription_payment",
        )
        card_setup_status_changed.connect(
            enqueue_subscription_card_setup,
            dispatch_uid="subscriptions.enqueue_subscription_card_setup",
        )
        renewal_payment_failed.connect(
            enqueue_dunning_reminder,
            dispatch_uid="subscriptions.enqueue_dunning_reminder",
        )
