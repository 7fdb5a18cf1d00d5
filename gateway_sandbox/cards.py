"""Card-number checks every simulated gateway makes the same way."""

from __future__ import annotations


def passes_luhn(digits: str) -> bool:
    """Whether a string of digits carries a valid Luhn (mod 10) check digit."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
