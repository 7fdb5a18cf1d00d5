"""The sandbox's reconciliation controls, as a reconciliation test drives them."""

from __future__ import annotations

from typing import Any

import requests


def discrepancy(sandbox_url: str, **body: Any) -> requests.Response:
    """POST `/__sandbox/discrepancies` with `body` as given (errors not raised)."""
    return requests.post(
        f"{sandbox_url}/__sandbox/discrepancies", json=body, timeout=10
    )


def made(sandbox_url: str, **body: Any) -> str:
    """The id a discrepancy answers (raising when it is refused)."""
    response = discrepancy(sandbox_url, **body)
    response.raise_for_status()
    made_id: str = response.json()["id"]
    return made_id


def seeded(sandbox_url: str, gateway: str, payments: list[dict[str, Any]]) -> list[str]:
    """The ids `/__sandbox/seed-payments` answers for `payments`, in order."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/seed-payments",
        json={"gateway": gateway, "payments": payments},
        timeout=60,
    )
    response.raise_for_status()
    ids: list[str] = response.json()["ids"]
    return ids


def ledger_of(sandbox_url: str, gateway: str) -> dict[str, Any]:
    response = requests.get(
        f"{sandbox_url}/__sandbox/ledger", params={"gateway": gateway}, timeout=10
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def movements(sandbox_url: str, gateway: str) -> list[tuple[str, str, int]]:
    """(kind, transaction id, amount) of each ledger entry of `gateway`, in order."""
    return [
        (entry["kind"], entry["transaction_id"], entry["amount_minor"])
        for entry in ledger_of(sandbox_url, gateway)["entries"]
    ]
