from django.apps import AppConfig


class GatewaySandboxConfig(AppConfig):
    """Brings the `gateway_sandbox` command to a development or test installation.

    The app has no models: it is installed only by the non-production settings, so a
    production installation neither has the command nor needs the sandbox's HTTP
    server (aiohttp).
    """

    name = "gateway_sandbox"
    verbose_name = "Gateway sandbox"
