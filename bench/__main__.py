"""`python -m bench [name …]`: run the benchmarks and print their figures."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = (
    "sandbox_throughput",
    "webhook_intake",
    "renewals",
    "reconciliation",
    "grpc_unary",
    "event_stream",
    "snack_ranking",
    "reaction_toggles",
    "order_statistics",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BENCHMARKS)}")
    names = parser.parse_args().names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(unknown)}")
    for name in names:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
