"""`python manage.py gateway_sandbox --port 8100`: run the gateway sandbox.

The command refuses production settings (the production image does not install it
either) and any credential that is not the sandbox's own (`credentials.py`), so a
sandbox started with production's environment stops instead of signing with its
secrets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gateway_sandbox.app import SandboxConfig
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS, foreign_credentials
from gateway_sandbox.faults import FaultSettings, InvalidFaultSetting, Knobs
from gateway_sandbox.server import serve_forever
from gateway_sandbox.shipping.faults import ShippingFaults


class Command(BaseCommand):
    help = (
        "Run the gateway sandbox: CloudPayments and Stripe wire protocols, test cards, "
        "signed notifications, fault knobs and a ledger, and the snack shop's "
        "shipping partner, on one local HTTP port."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument(
            "--notify-url",
            default=f"{settings.SERVICE_URL}/webhooks/",
            help="Base address of the service's webhooks: CloudPayments notifications "
            "go to <base>cloudpayments/<type>/, Stripe events to <base>stripe/. "
            "Give an empty string to send none.",
        )
        parser.add_argument(
            "--strict-initiator-code",
            action="store_true",
            help="Refuse token payments without TrInitiatorCode, as production does.",
        )
        parser.add_argument(
            "--state-file",
            type=Path,
            default=None,
            metavar="PATH",
            help="Keep the sandbox's state (payments, card tokens, Stripe customers "
            "and payment methods, the ledger, the delivery log, the clock offset) "
            "across restarts: loaded from PATH at start if it exists, written back "
            "atomically every few seconds when it changed and on SIGTERM or Ctrl-C. "
            "An unreadable file is moved to PATH.rejected and the sandbox starts "
            "empty. POST /__sandbox/reset empties it too. Without it, state lives "
            "in memory only.",
        )
        _add_knobs(parser, FaultSettings(), prefix="", what="fault knob")
        _add_knobs(
            parser, ShippingFaults(), prefix="shipping_", what="shipping partner knob"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_unsafe_settings()
        faults = _given_knobs(options, FaultSettings(), prefix="")
        shipping_faults = _given_knobs(options, ShippingFaults(), prefix="shipping_")
        notify_url = options["notify_url"].rstrip("/")
        config = SandboxConfig(
            cloudpayments_notification_url=(
                f"{notify_url}/cloudpayments/" if notify_url else None
            ),
            stripe_webhook_url=f"{notify_url}/stripe/" if notify_url else None,
            strict_initiator_code=options["strict_initiator_code"],
            faults=faults,
            shipping_faults=shipping_faults,
            state_file=options["state_file"],
        )

        def announce(url: str) -> None:
            self.stdout.write(
                f"Gateway sandbox on {url}  (card page {url}/__sandbox/checkout, "
                f"controls {url}/__sandbox/faults, ledger {url}/__sandbox/ledger)"
            )
            self.stdout.write(
                f"Shipping partner on {url}/shipping/v1  (controls "
                f"{url}/__sandbox/shipping/faults, shipments "
                f"{url}/__sandbox/shipping/shipments)"
            )
            if config.state_file is not None:
                self.stdout.write(f"Sandbox state kept in {config.state_file}")
            self.stdout.flush()

        serve_forever(
            config, host=options["host"], port=options["port"], on_ready=announce
        )


def _add_knobs(parser: CommandParser, knobs: Knobs, *, prefix: str, what: str) -> None:
    """An option per knob, `--<prefix><knob>`, taking a JSON value."""
    for field, default in knobs.as_json().items():
        option = f"{prefix}{field}"
        parser.add_argument(
            f"--{option.replace('_', '-')}",
            dest=f"knob_{option}",
            type=json.loads,
            default=None,
            metavar="NUMBER" if default is None else type(default).__name__.upper(),
            help=f"{what} (default {json.dumps(default)})",
        )


def _given_knobs(
    options: dict[str, Any], knobs: Knobs, *, prefix: str
) -> dict[str, Any]:
    """The knobs given as options, checked all together.

    :raises CommandError: for a value the knobs refuse.
    """
    given = {
        field: options[f"knob_{prefix}{field}"]
        for field in knobs.as_json()
        if options.get(f"knob_{prefix}{field}") is not None
    }
    try:
        knobs.update(given)
    except InvalidFaultSetting as exc:
        # "shipping failure_rate is …": the knob's name as a person reads it.
        raise CommandError(f"{prefix.replace('_', ' ')}{exc}") from exc
    return given


def refuse_unsafe_settings() -> None:
    """Stop before serving anything under production settings or credentials.

    :raises CommandError: naming every setting that is refused.
    """
    if settings.IS_PRODUCTION:
        raise CommandError(
            "The gateway sandbox does not run under production settings; start it "
            "with DJANGO_SETTINGS_MODULE=config.settings.local."
        )
    configured = {name: getattr(settings, name, None) for name in SANDBOX_CREDENTIALS}
    problems = foreign_credentials(configured)
    if problems:
        raise CommandError(
            "The gateway sandbox runs only with its own credentials; unset these "
            "(it must never hold a real one): " + "; ".join(problems)
        )
