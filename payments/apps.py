from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments.receivers import grant_staff_view_permissions

        post_migrate.connect(grant_staff_view_permissions, sender=self)
