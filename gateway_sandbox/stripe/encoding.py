"""Stripe's v1 form encoding (GATEWAYS.md C1), decoded into a tree and read with checks.

The SDK sends `metadata[order]=42`, `expand[0]=latest_charge` and `created[gte]=100`;
brackets are literal in bodies and may be percent-encoded in query strings, and other
clients send `a[]=x`. Each pair is URL-decoded first and its name then split into a
bracket path, so both spellings give the same tree. Lists are kept as dicts with index
keys until a reader asks for a list, because only the endpoint knows whether
`metadata[0]` is a list element or a metadata key named "0".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from gateway_sandbox.stripe.errors import (
    StripeApiError,
    invalid_parameter,
    parameter_invalid_integer,
    parameter_missing,
    parameter_unknown,
)

FormTree = dict[str, Any]

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d{1,18}$")


def decode_form(raw: bytes) -> FormTree:
    """Decode an `application/x-www-form-urlencoded` body or query string.

    :raises StripeApiError: 400 for bytes that are not UTF-8, a malformed name, or a
        name used both as a value and as a hash (`a=1&a[b]=2`).
    """
    try:
        text = raw.decode("utf-8")
        pairs = [
            tuple(unquote_plus(part, errors="strict") for part in _split_pair(chunk))
            for chunk in text.split("&")
            if chunk
        ]
    except UnicodeDecodeError as exc:
        raise invalid_parameter(
            None, "Invalid request: the body is not valid UTF-8 form data."
        ) from exc
    tree: FormTree = {}
    for name, value in pairs:
        _insert(tree, _split_name(name), value, name)
    return tree


def _split_pair(chunk: str) -> tuple[str, str]:
    name, _, value = chunk.partition("=")
    return name, value


def _split_name(name: str) -> list[str]:
    match = _NAME.match(name)
    if match is None:
        raise invalid_parameter(None, f"Invalid parameter name: {name!r}")
    return [match.group(1), *_SEGMENT.findall(match.group(2))]


def _insert(tree: FormTree, path: list[str], value: str, name: str) -> None:
    node = tree
    for depth, segment in enumerate(path):
        key = _next_index(node) if segment == "" else segment
        if depth == len(path) - 1:
            if isinstance(node.get(key), dict):
                raise _shape_conflict(path[: depth + 1])
            # Repeated scalar names keep the last value, as Rack-style parsers do.
            node[key] = value
            return
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise _shape_conflict(path[: depth + 1])
        node = child


def _next_index(node: FormTree) -> str:
    indexes = [int(key) for key in node if key.isdigit()]
    return str(max(indexes) + 1 if indexes else 0)


def _shape_conflict(path: list[str]) -> StripeApiError:
    name = _join(path[0], path[1:])
    return invalid_parameter(
        name, f"Invalid value for {name}: it is given both as a value and as a hash."
    )


def _join(head: str, segments: Iterable[str]) -> str:
    return head + "".join(f"[{segment}]" for segment in segments)


class Params:
    """Checked access to one request's parameters, noticing the ones never read.

    Every reader marks its key as seen; `ignore()` marks parameters the SDK may send
    that the sandbox accepts without acting on them. `finish()` then refuses whatever
    is left with `parameter_unknown`, as Stripe does.
    """

    def __init__(self, tree: FormTree, prefix: str | None = None) -> None:
        self._tree = tree
        self._prefix = prefix
        self._seen: set[str] = set()
        self._children: list[Params] = []

    @property
    def tree(self) -> FormTree:
        return self._tree

    def name_of(self, key: str) -> str:
        return f"{self._prefix}[{key}]" if self._prefix else key

    def is_blank(self, key: str) -> bool:
        """Whether `key` is given as an empty string: the way to unset a field."""
        self._seen.add(key)
        return self._tree.get(key) == ""

    def ignore(self, *keys: str) -> None:
        self._seen.update(keys)

    def raw(self, key: str) -> Any:
        self._seen.add(key)
        value = self._tree.get(key)
        return None if value == "" else value

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
    ) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise parameter_missing(self.name_of(key))
            return None
        if not isinstance(value, str):
            raise invalid_parameter(
                self.name_of(key), f"Invalid string: {_describe(value)}"
            )
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                raise invalid_parameter(
                    self.name_of(key),
                    f"Invalid {self.name_of(key)}: must be one of {', '.join(allowed)}",
                )
        return value

    def required_string(self, key: str, *, choices: Iterable[str] | None = None) -> str:
        value = self.string(key, required=True, choices=choices)
        assert value is not None
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.raw(key)
        name = self.name_of(key)
        if value is None:
            if required:
                raise parameter_missing(name)
            return None
        if not isinstance(value, str) or not _INTEGER.match(value):
            raise parameter_invalid_integer(name, _describe(value))
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid_parameter(
                name, f"This value must be greater than or equal to {minimum}."
            )
        if maximum is not None and number > maximum:
            raise invalid_parameter(
                name, f"This value must be less than or equal to {maximum}."
            )
        return number

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise invalid_parameter(
            self.name_of(key), f"Invalid boolean: {_describe(value)}"
        )

    def strings(self, key: str) -> list[str] | None:
        """A list of strings sent as `key[0]=a&key[1]=b` (or `key[]=a`, or `key=a`)."""
        value = self.raw(key)
        name = self.name_of(key)
        if value is None:
            return None
        if isinstance(value, str):
            return [value]
        if not all(index.isdigit() for index in value):
            raise invalid_parameter(name, f"Invalid array: {name} must be a list.")
        items = [value[index] for index in sorted(value, key=int)]
        if not all(isinstance(item, str) for item in items):
            raise invalid_parameter(name, f"Invalid array: {name} holds non-strings.")
        return [item for item in items if item != ""]

    def hash(self, key: str) -> Params | None:
        """Nested parameters such as `card[number]`, checked for unknowns on finish."""
        value = self.free_hash(key)
        if value is None:
            return None
        child = Params(value, self.name_of(key))
        self._children.append(child)
        return child

    def free_hash(self, key: str) -> FormTree | None:
        """A hash taken as given (e.g. `payment_method_options`), not checked."""
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid_parameter(
                self.name_of(key),
                f"Invalid object: {self.name_of(key)} must be a hash.",
            )
        return value

    def metadata_onto(self, current: dict[str, str]) -> dict[str, str] | None:
        """The metadata after applying this request's `metadata`, or None if not given.

        `metadata=` clears every key and `metadata[k]=` removes one, as on Stripe.
        """
        if "metadata" not in self._tree:
            return None
        if self.is_blank("metadata"):
            return {}
        value = self.raw("metadata")
        if not isinstance(value, dict):
            raise invalid_parameter(
                "metadata", "Invalid object: metadata must be a hash of strings."
            )
        merged = dict(current)
        for key, item in value.items():
            name = f"metadata[{key}]"
            if not isinstance(item, str):
                raise invalid_parameter(name, f"Invalid string: {_describe(item)}")
            if len(key) > 40:
                raise invalid_parameter(
                    name, "Metadata keys can be at most 40 characters long."
                )
            if len(item) > 500:
                raise invalid_parameter(
                    name, "Metadata values can be at most 500 characters long."
                )
            if item == "":
                merged.pop(key, None)
            else:
                merged[key] = item
        if len(merged) > 50:
            raise invalid_parameter("metadata", "Metadata can hold at most 50 keys.")
        return merged

    def finish(self) -> None:
        """:raises StripeApiError: parameter_unknown for the first unread parameter."""
        for key in sorted(self._tree):
            if key not in self._seen:
                raise parameter_unknown(self.name_of(key))
        for child in self._children:
            child.finish()


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: ..." for key in value) + "}"
    return str(value)
