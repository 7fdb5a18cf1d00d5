"""The request id: which ids from outside are taken, and how long one is held."""

from __future__ import annotations

import contextvars
import uuid

import pytest

from kit import correlation
from kit.redaction import redact_text

# A 16-digit run (a card number) that only the redaction policy tells from an id.
CARD_NUMBER = "4242424242424242"


class TestIsWellFormed:
    @pytest.mark.parametrize(
        "value",
        [
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "a" * correlation.MAX_LENGTH,
            "Root=1-5e1b4151-5ac6c58f5b2ff3a5c2e9c8a1",
            "shop-web:42/7",
        ],
    )
    def test_takes_ids_of_safe_characters_up_to_the_limit(self, value: str) -> None:
        assert correlation.is_well_formed(value)

    @pytest.mark.parametrize(
        "value",
        [
            None,
            "",
            "a" * (correlation.MAX_LENGTH + 1),
            "abc\r\nX-Injected: 1",
            "abc\x00def",
            "tab\there",
            "with space",
            "ünïcode",
            "-starts-with-punctuation",
            f"order-{CARD_NUMBER}",
            "token=tk_8c3e5a7f1b9d",
        ],
        ids=[
            "none",
            "empty",
            "too long",
            "line break",
            "nul",
            "tab",
            "space",
            "non-ascii",
            "leading dash",
            "card number",
            "keyed secret",
        ],
    )
    def test_refuses_anything_else(self, value: str | None) -> None:
        assert not correlation.is_well_formed(value)


class TestBind:
    def test_takes_a_well_formed_id(self) -> None:
        def bind() -> str:
            return correlation.bind("shop-7f3a")

        context = contextvars.copy_context()

        bound = context.run(bind)

        assert bound == "shop-7f3a"
        assert context.run(correlation.current) == "shop-7f3a"

    @pytest.mark.parametrize(
        "incoming", [None, "x" * 500, "evil\nline", "bell\x07"], ids=repr
    )
    def test_replaces_a_missing_or_bad_id_with_a_new_uuid(
        self, incoming: str | None
    ) -> None:
        bound = contextvars.copy_context().run(correlation.bind, incoming)

        assert bound != incoming
        assert str(uuid.UUID(bound)) == bound

    def test_takes_the_fallback_for_a_bad_id(self) -> None:
        bound = contextvars.copy_context().run(
            lambda: correlation.bind("bad id", fallback="task-1")
        )

        assert bound == "task-1"

    def test_new_ids_are_never_masked_by_the_redaction_policy(self) -> None:
        """Many hold a card-like run of digits; the policy leaves UUIDs whole."""
        ids = [correlation.new_request_id() for _ in range(2_000)]

        assert [i for i in ids if redact_text(i) != i] == []
        assert all(correlation.is_well_formed(request_id) for request_id in ids)
        assert len(set(ids)) == len(ids)


class TestUnbind:
    def test_forgets_the_id(self) -> None:
        def bind_then_unbind() -> str:
            correlation.bind("done-work")
            correlation.unbind()
            return correlation.current()

        assert contextvars.copy_context().run(bind_then_unbind) == ""


class TestBound:
    def test_holds_the_id_for_the_block_and_restores_the_one_before(self) -> None:
        def nest() -> tuple[str, str, str]:
            correlation.bind("outer")
            with correlation.bound("inner") as inner:
                during = correlation.current()
            return inner, during, correlation.current()

        inner, during, after = contextvars.copy_context().run(nest)

        assert (inner, during, after) == ("inner", "inner", "outer")

    def test_restores_the_id_when_the_block_raises(self) -> None:
        def fail_inside() -> str:
            with pytest.raises(RuntimeError), correlation.bound("inner"):
                raise RuntimeError
            return correlation.current()

        assert contextvars.copy_context().run(fail_inside) == ""

    def test_outside_any_work_the_id_is_empty(self) -> None:
        assert contextvars.copy_context().run(correlation.current) == ""
