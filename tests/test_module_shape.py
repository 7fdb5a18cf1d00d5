"""Modules a newcomer can hold in mind: sizes and names the house style asks for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Generated or installed code, and data the project does not write by hand.
NOT_OURS = {".git", ".venv", ".tools", "var", "migrations", "node_modules", "generated"}
SOURCE_LIMIT = 400
TEST_LIMIT = 600
# `S = SubscriptionStatus`: a one-letter name for a class hides what a line compares.
SINGLE_LETTER_ALIAS = re.compile(r"^\s*[A-Z]\s*=\s*[A-Z]\w*\s*$", re.MULTILINE)


def python_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not NOT_OURS.intersection(relative.parts) and not relative.parts[
            0
        ].startswith("."):
            yield path


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def is_test_module(path: Path) -> bool:
    return path.relative_to(ROOT).parts[0] == "tests"


class TestModuleSize:
    def test_finds_the_modules_it_measures(self) -> None:
        """The walk sees the apps and the tests, so the limits below are not vacuous."""
        found = {path.relative_to(ROOT).as_posix() for path in python_modules()}

        assert "payments/gateways/base.py" in found
        assert "tests/test_module_shape.py" in found
        assert not any("/migrations/" in name for name in found)

    def test_no_source_module_is_over_400_lines(self) -> None:
        """Split a module by responsibility before it passes ~400 lines (STYLE 3.2)."""
        too_long = {
            path.relative_to(ROOT).as_posix(): lines
            for path in python_modules()
            if not is_test_module(path) and (lines := line_count(path)) > SOURCE_LIMIT
        }

        assert too_long == {}

    def test_no_test_module_is_over_600_lines(self) -> None:
        """Split a test module by use case before it passes 600 lines."""
        too_long = {
            path.relative_to(ROOT).as_posix(): lines
            for path in python_modules()
            if is_test_module(path) and (lines := line_count(path)) > TEST_LIMIT
        }

        assert too_long == {}


class TestNames:
    def test_no_module_aliases_a_class_to_one_letter(self) -> None:
        """Write `SubscriptionStatus.ACTIVE`, not `S.ACTIVE`."""
        aliased = [
            f"{path.relative_to(ROOT).as_posix()}: {match.group().strip()}"
            for path in python_modules()
            for match in SINGLE_LETTER_ALIAS.finditer(path.read_text(encoding="utf-8"))
        ]

        assert aliased == []

    def test_the_alias_pattern_catches_an_alias(self) -> None:
        assert SINGLE_LETTER_ALIAS.search("S = SubscriptionStatus\n")
        assert not SINGLE_LETTER_ALIAS.search("STATUS = SubscriptionStatus\n")
