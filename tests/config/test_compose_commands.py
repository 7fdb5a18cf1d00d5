"""Every command `docker-compose.yml` and the `Dockerfile` run exists in the code, and
its options parse: a renamed management command, a dropped option, a queue the app no
longer routes to or a moved WSGI module fails here, not in a deployment.

Each program is checked the way it would read its arguments, without running it:
Django's parser for `python manage.py X`, Celery's click commands (and Flower's
options) for `celery -A config …`, gunicorn's parser and an import of the application
for `gunicorn module:attribute`.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
import pytest
import tornado.options
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_group
from django.conf import settings
from django.core.management import CommandError, get_commands, load_command_class
from gunicorn.config import Config as GunicornConfig  # type: ignore[import-untyped]
from gunicorn.util import load_class  # type: ignore[import-untyped]

from tests.config.compose_file import commands_of_services, dockerfile_commands

# The shell's own words in a `sh -c` script (Flower's refusal without a password).
SHELL_BUILTINS = {"test", "echo", "exit"}
CELERY_APP = ["-A", "config"]

INVOCATIONS = [
    pytest.param(argv, id=f"{service}:{' '.join(argv[:3])}")
    for service, invocations in commands_of_services().items()
    for argv in invocations
    if argv[0] not in SHELL_BUILTINS
] + [
    pytest.param(argv, id=f"Dockerfile {stage}:{' '.join(argv[:3])}")
    for stage, argv in dockerfile_commands().items()
]


def _manage_py(arguments: list[str]) -> None:
    name, *options = arguments
    app = get_commands().get(name)
    assert app is not None, f"no management command {name!r}"
    command = load_command_class(app, name)
    parser = command.create_parser("manage.py", name)
    try:
        parser.parse_args(options)
    except (SystemExit, CommandError) as refused:
        pytest.fail(f"manage.py {name} refuses {options}: {refused}")


def _celery_context(name: str, options: list[str]) -> click.Context:
    from config.celery import app

    command = celery_group.commands[name]
    obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    try:
        return command.make_context(name, list(options), obj=obj)
    except click.ClickException as refused:
        pytest.fail(f"celery {name} refuses {options}: {refused.format_message()}")


def _known_queues() -> set[str]:
    """The queues the app declares and sends tasks to."""
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return declared & (routed | {settings.CELERY_TASK_DEFAULT_QUEUE})


def _flower(options: list[str]) -> None:
    import flower.options  # type: ignore[import-untyped]  # noqa: F401 - declares Flower's options

    known = tornado.options.options._options
    for option in options:
        name = option.removeprefix("--").partition("=")[0].replace("_", "-")
        assert name in known, f"Flower has no option {option!r}"


def _celery(arguments: list[str]) -> None:
    assert arguments[:2] == CELERY_APP, arguments
    assert importlib.import_module("config").celery_app is not None
    name, *options = arguments[2:]
    assert name in celery_group.commands, f"celery has no subcommand {name!r}"
    if name == "flower":
        _flower(options)
        return
    context = _celery_context(name, options)
    queues: Any = context.params.get("queues")
    if queues:
        assert set(queues) <= _known_queues(), queues


def _gunicorn(arguments: list[str]) -> None:
    try:
        parsed = GunicornConfig().parser().parse_args(arguments)
    except SystemExit:
        pytest.fail(f"gunicorn refuses {arguments}")
    (application,) = parsed.args
    module, _, attribute = application.partition(":")
    found = importlib.import_module(module)
    assert callable(getattr(found, attribute or "application", None)), application
    if parsed.worker_class:
        load_class(
            parsed.worker_class,
            default="gunicorn.workers.sync.SyncWorker",
            section="gunicorn.workers",
        )


@pytest.mark.parametrize("argv", INVOCATIONS)
def test_the_command_exists_and_its_options_parse(argv: list[str]) -> None:
    program, *arguments = argv
    if program == "python" and arguments[:1] == ["manage.py"]:
        _manage_py(arguments[1:])
    elif program == "celery":
        _celery(arguments)
    elif program == "gunicorn":
        _gunicorn(arguments)
    else:
        pytest.fail(f"no check for {argv}: teach this test the program")


def test_every_kind_of_command_is_checked() -> None:
    """The list above is the file's: all four programs, both images' commands."""
    programs = {param.values[0][0] for param in INVOCATIONS}  # type: ignore[index]
    stages = set(dockerfile_commands())

    assert programs == {"python", "celery", "gunicorn"}
    assert stages == {"sandbox", "production"}
    assert len(INVOCATIONS) >= 15


def test_an_unknown_option_is_refused() -> None:
    """The checks are not vacuous: each program's parser refuses a made-up option."""
    for check, arguments in (
        (_manage_py, ["migrate", "--no-such-option"]),
        (_celery, [*CELERY_APP, "worker", "--no-such-option"]),
        (_gunicorn, ["config.wsgi", "--no-such-option"]),
        (_flower, ["--no-such-option=1"]),
    ):
        with pytest.raises((pytest.fail.Exception, AssertionError)):
            check(arguments)


def test_a_queue_the_app_does_not_route_to_is_refused() -> None:
    with pytest.raises(AssertionError):
        _celery([*CELERY_APP, "worker", "-Q", "payments,no-such-queue"])
