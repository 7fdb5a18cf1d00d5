from django.apps import AppConfig
from django.core.signals import request_finished


class OperationsConfig(AppConfig):
    """Holds the commands that wire every app together (`devstack`, demo data)."""

    name = "config"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from config.request_ids import forget_request_id

        request_finished.connect(
            forget_request_id, dispatch_uid="config.forget_request_id"
        )
