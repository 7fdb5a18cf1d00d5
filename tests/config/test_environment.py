"""Configuration comes only from `config/env.py`; README documents every variable."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_in_env_module() -> set[str]:
    source = (ROOT / "config" / "env.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', source))


class TestEnvironment:
    def test_readme_documents_every_variable(self) -> None:
        readme = (ROOT / "README.md").read_text()

        undocumented = {
            name
            for name in _variables_read_in_env_module()
            if f"`{name}`" not in readme
        }

        assert _variables_read_in_env_module()
        assert undocumented == set()

    def test_no_other_module_reads_the_environment(self) -> None:
        offenders = []
        for path in ROOT.glob("*/**/*.py"):
            if path.parts[len(ROOT.parts)] in {
                ".venv",
                ".tools",
                "tests",
                "var",
                "bench",
            }:
                continue
            if path == ROOT / "config" / "env.py" or "management" in path.parts:
                continue
            text = path.read_text()
            if re.search(r"os\.environ|getenv\(", text):
                offenders.append(str(path.relative_to(ROOT)))

        assert offenders == []
