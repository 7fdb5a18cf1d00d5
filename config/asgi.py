"""The ASGI entry point."""

from django.core.asgi import get_asgi_application

from config.env import choose_settings_module

choose_settings_module()
application = get_asgi_application()
