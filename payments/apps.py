from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from billing.signals import gateway_fees_wanted
        from payments.receivers import (
            answer_gateway_fees,
            enqueue_card_expired_notice,
            enqueue_checkout_card_setup_sync,
            enqueue_checkout_session_sync,
            enqueue_payment_receipt,
            enqueue_reconciliation,
            grant_staff_view_permissions,
            request_gateway_event_drain,
        )
        from payments.signals import (
            card_setup_status_changed,
            gateway_events_stored,
            payment_method_expired,
            payment_status_changed,
            reconciliation_requested,
        )

        post_migrate.connect(grant_staff_view_permissions, sender=self)
        payment_status_changed.connect(
            enqueue_checkout_session_sync,
            dispatch_uid="payments.enqueue_checkout_session_sync",
        )
        card_setup_status_changed.connect(
            enqueue_checkout_card_setup_sync,
            dispatch_uid="payments.enqueue_checkout_card_setup_sync",
        )
        gateway_events_stored.connect(
            request_gateway_event_drain,
            dispatch_uid="payments.request_gateway_event_drain",
        )
        payment_status_changed.connect(
            enqueue_payment_receipt, dispatch_uid="payments.enqueue_payment_receipt"
        )
        payment_method_expired.connect(
            enqueue_card_expired_notice,
            dispatch_uid="payments.enqueue_card_expired_notice",
        )
        gateway_fees_wanted.connect(
            answer_gateway_fees, dispatch_uid="payments.answer_gateway_fees"
        )
        reconciliation_requested.connect(
            enqueue_reconciliation, dispatch_uid="payments.enqueue_reconciliation"
        )
