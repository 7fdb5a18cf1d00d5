"""README's code examples, as a new user would copy them, aimed at a test's stack."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND_MARKER = "<!-- frontend-example -->"
# The addresses README's examples use: `make run`'s defaults.
DEFAULT_WEB = "http://127.0.0.1:8000"
DEFAULT_SANDBOX = "http://127.0.0.1:8100"
DEFAULT_GRPC = "127.0.0.1:50051"


def frontend_example(*, web: str, sandbox: str, grpc: str) -> str:
    """The Python block after README's frontend marker, on the given addresses."""
    readme = (ROOT / "README.md").read_text()
    after = readme.split(FRONTEND_MARKER, 1)[1]
    code = after.split("```python\n", 1)[1].split("```", 1)[0]
    for default, actual in (
        (DEFAULT_WEB, web),
        (DEFAULT_SANDBOX, sandbox),
        (DEFAULT_GRPC, grpc),
    ):
        assert default in code, f"README's example no longer names {default}"
        code = code.replace(default, actual)
    return code
