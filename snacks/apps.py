from django.apps import AppConfig


class SnacksConfig(AppConfig):
    name = "snacks"
    verbose_name = "Snack shop"
