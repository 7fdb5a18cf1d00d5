#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import sys

from django.core.exceptions import ImproperlyConfigured


def main() -> None:
    try:
        # Importing `config` starts the Celery app, which chooses too.
        from config.env import choose_settings_module

        choose_settings_module()
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
