"""Fuzzing the HTTP API from its own OpenAPI schema (schemathesis), in process.

The schema served at /api/schema/ is loaded through the WSGI application, and every
operation in it is called with schemathesis' cases: its deterministic coverage
cases (boundary values, missing and wrongly typed fields, unexpected methods), cases
from the schema's examples, and `FUZZ_EXAMPLES` generated cases in each generation
mode (data that fits the schema, and data that does not), from the seed
`FUZZ_SEED`. Some cases have values replaced by chosen ones (ids of rows in the
database, plan codes, a folder of the time zone database), so that operations also
answer about real payers, payments, subscriptions, invoices and checkout sessions
rather than only with a 404.

Every answer is checked: no 5xx, every error in the one error shape, the status
code documented, the body as the schema says, and a success refused again without
credentials or with invalid ones. Each case runs in a savepoint that is
rolled back, so every case sees the same rows.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, CheckFunction, not_a_server_error
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

SCHEMA_PATH: Final = "/api/schema/?format=json"
SESSION_COOKIE: Final = "sessionid"
# Generated cases per operation, generation mode and role (besides the coverage
# cases); docs/testing.md says how to fuzz longer.
FUZZ_EXAMPLES: Final = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# The same cases on every run: CI fails on the code, never on luck.
FUZZ_SEED: Final = int(os.environ.get("FUZZ_SEED", "20261207"))
# Cases drawn from each example of the schema (its path parameters and any fields it
# leaves out are generated).
EXAMPLE_CASES: Final = 4
ERROR_KEYS: Final = frozenset({"code", "message", "extra"})
MODES: Final = (
    schemathesis.GenerationMode.POSITIVE,
    schemathesis.GenerationMode.NEGATIVE,
)


def error_shape(ctx: CheckContext, response: schemathesis.Response, case: Any) -> None:
    """Every 4xx and 5xx answer is `{"code": str, "message": str, "extra": ...}`."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"{response.status_code} is not JSON: {response.text[:200]!r}"
        ) from None
    if not (
        isinstance(body, dict)
        and set(body) == ERROR_KEYS
        and isinstance(body["code"], str)
        and isinstance(body["message"], str)
    ):
        raise AssertionError(
            f"{response.status_code} is not in the error shape: {body!r:.300}"
        )


def documented_status(
    ctx: CheckContext, response: schemathesis.Response, case: Any
) -> bool | None:
    """The status code is one the schema lists, or a 429 of the API's throttling
    (any operation may be throttled; its body is held to the error shape)."""
    if response.status_code == 429:
        return None
    return status_code_conformance(ctx, response, case)


# Left off: `negative_data_rejection`, because the API reads query strings as DRF
# does, an empty value (`?gateway=`) and a bad page size (`?limit=0.5`) being no
# filter and the default page, and ignores fields it does not know; and
# `positive_data_acceptance`, because some rules span fields and are not in the
# schema (a checkout session is for a plan or for an amount, never both;
# `created_before` is later than `created_after`).
CHECKS: Final[Sequence[CheckFunction]] = (
    not_a_server_error,
    error_shape,
    documented_status,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
    ignored_auth,
)


@dataclass
class FuzzReport:
    """What one run asked and what came back."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        return "\n\n".join(self.failures.values())


@dataclass
class ApiFuzzer:
    """Calls the operations of `schema` as the holder of `token`.

    `chosen` holds values worth sending, by parameter or field name: a case may
    have its value of such a name replaced by one of them. `scheme` is how the
    token is sent (`Token` for staff, `Bearer` for the shop's JWTs); `tag`, when
    given, limits the run to the operations under that tag, and `operation_ids`
    to those operations.
    """

    schema: BaseSchema
    token: str
    chosen: Mapping[str, Sequence[Any]]
    scheme: str = "Token"
    tag: str | None = None
    operation_ids: frozenset[str] = frozenset()
    report: FuzzReport = field(default_factory=FuzzReport)

    def run(self, *, examples: int = FUZZ_EXAMPLES, fuzz_seed: int = FUZZ_SEED) -> None:
        for operation in operations(self.schema):
            if self.tag is not None and self.tag not in (operation.tags or ()):
                continue
            if self.operation_ids and (
                operation.definition.raw.get("operationId") not in self.operation_ids
            ):
                continue
            for case in self.schema.iter_coverage_cases(
                operation,
                generation_modes=list(MODES),
                generation_config=self.schema.config.generation_for(
                    operation=operation, phase="coverage"
                ),
            ):
                self.call(case)
            for example in operation.get_strategies_from_examples():
                self.fuzz(example, examples=EXAMPLE_CASES, fuzz_seed=fuzz_seed)
            for mode in MODES:
                if mode.is_negative and not has_inputs(operation):
                    continue  # Nothing to send that the schema does not allow.
                self.fuzz(
                    operation.as_strategy(generation_mode=mode),
                    examples=examples,
                    fuzz_seed=fuzz_seed,
                )

    def fuzz(
        self, strategy: st.SearchStrategy[Any], *, examples: int, fuzz_seed: int
    ) -> None:
        cases = strategy.flatmap(self._with_chosen)

        @seed(fuzz_seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        )
        @given(cases)
        def call_generated(case: Any) -> None:
            self.call(case)

        call_generated()

    def call(self, case: Any) -> None:
        credentials = {"Authorization": f"{self.scheme} {self.token}"}
        # The schema's other way in is the session cookie: a generated one would be
        # no session, and would stand for the credentials in the auth check.
        if case.cookies and SESSION_COOKIE in case.cookies:
            case.cookies = {
                name: value
                for name, value in case.cookies.items()
                if name != SESSION_COOKIE
            }
        with transaction.atomic():
            response = case.call(headers=credentials)
            transaction.set_rollback(True)
        label = f"{case.method} {case.operation.path}"
        self.report.statuses[(label, response.status_code)] += 1
        try:
            # The credentials, for the checks that send the case again without them.
            case.validate_response(
                response,
                checks=list(CHECKS),
                headers=credentials,
                transport_kwargs={"headers": credentials},
            )
        except FailureGroup as group:
            # One report per operation, answer and failure: the first case showing it.
            titles = ", ".join(sorted({failure.title for failure in group.exceptions}))
            key = f"{label} {response.status_code}: {titles}"
            self.report.failures.setdefault(key, f"{key}\n{group.message}")

    def _with_chosen(self, case: Any) -> st.SearchStrategy[Any]:
        """`case`, with some of its values replaced by chosen ones."""
        containers = {
            "path_parameters": case.path_parameters,
            "query": case.query,
            "body": case.body,
        }
        slots = [
            (container, name)
            for container, values in containers.items()
            if isinstance(values, dict)
            for name in values
            if name in self.chosen
        ]
        choices = [
            st.one_of(st.none(), st.sampled_from(list(self.chosen[name])))
            for _, name in slots
        ]

        def replace(values: tuple[Any, ...]) -> Any:
            for (container, name), value in zip(slots, values, strict=True):
                if value is not None:
                    setattr(case, container, {**getattr(case, container), name: value})
            return case

        return st.tuples(*choices).map(replace)


def operations(schema: BaseSchema) -> Iterator[APIOperation]:
    """The schema's operations.

    :raises InvalidSchema: when one of them cannot be read.
    """
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        yield result.ok()


def has_inputs(operation: APIOperation) -> bool:
    """Whether the operation takes anything besides its credentials."""
    return bool(operation.body) or any(
        parameter.location.value in ("path", "query")
        for parameter in operation.iter_parameters()
    )


def load_schema() -> BaseSchema:
    """The API's schema, as /api/schema/ serves it, bound to the WSGI application."""
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())


class InProcessRequests:
    """Requests through the WSGI application inside the test's transaction.

    Django closes the database connection at the start and end of each request;
    inside a test's transaction that would end the test's data (Django's own test
    client keeps the connection the same way).
    """

    def __enter__(self) -> None:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)

    def __exit__(self, *exc_info: object) -> None:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
