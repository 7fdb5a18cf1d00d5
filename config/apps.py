from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Holds the commands that wire every app together (`devstack`, demo data)."""

    name = "config"
    label = "operations"
    verbose_name = "Operations"
