"""Reading the tables and the JSON data of the shop's pages in tests."""

from __future__ import annotations

import html.parser
import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Tables(html.parser.HTMLParser):
    wanted: str = ""
    rows: list[list[str]] = field(default_factory=list)
    _depth = 0
    _cell: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self._depth or dict(attrs).get("id") == self.wanted):
            self._depth += 1
        elif self._depth and tag == "tr":
            self.rows.append([])
        elif self._depth and tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif self._cell is not None and tag in {"td", "th"}:
            self.rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(content: bytes, table_id: str) -> list[list[str]]:
    """The rows of the table `table_id` (its head first), each as its cells' words."""
    tables = _Tables(wanted=table_id)
    tables.feed(content.decode())
    return tables.rows


def json_data(content: bytes, element_id: str) -> Any:
    """The data a page wrote with `json_script` under `element_id`."""
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        content.decode(),
        re.DOTALL,
    )
    assert found is not None, f"no #{element_id} in the page"
    return json.loads(found.group(1))
