"""The gRPC benchmarks' clients, each run as a process apart from the server.

`python -m bench.grpc_clients unary TARGET CALLERS_FILE SECONDS CONCURRENCY` reads
subscriptions from as many threads, each with a channel of its own;
`replay TARGET TOKEN COUNT` reads COUNT events from cursor 0; `live TARGET TOKEN
AFTER COUNT READY_FILE` reads COUNT new events after AFTER and times each from its
commit, creating READY_FILE once subscribed.
Each prints its figures as JSON.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import grpc

from grpc_api.generated.billing.v1 import (
    billing_pb2,
    billing_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
)


def unary(
    target: str, callers: list[list[str]], seconds: float, concurrency: int
) -> dict[str, Any]:
    """GetSubscription as each subscription's payer, from `concurrency` threads."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    deadline: list[float] = []

    def client(index: int) -> None:
        pick = random.Random(index)
        # A connection of its own: channels to one target share one by default.
        own_connection = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(target, options=own_connection) as channel:
            stub = billing_pb2_grpc.BillingServiceStub(channel)
            grpc.channel_ready_future(channel).result(timeout=30)
            start.wait()
            while time.monotonic() < deadline[0]:
                subscription_id, token = pick.choice(callers)
                began = time.perf_counter()
                try:
                    stub.GetSubscription(
                        billing_pb2.GetSubscriptionRequest(
                            subscription_id=subscription_id
                        ),
                        metadata=(("authorization", f"Bearer {token}"),),
                        timeout=10,
                    )
                except grpc.RpcError:
                    errors[index] += 1
                latencies[index].append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(latency for own in latencies for latency in own)
    return {
        "calls": len(every),
        "errors": sum(errors),
        "seconds": elapsed,
        **_percentiles(every),
    }


def replay(target: str, token: str, count: int) -> dict[str, Any]:
    """Read `count` events from the start of the outbox; how fast they came."""
    received = 0
    last = 0
    with grpc.insecure_channel(target) as channel:
        stub = events_pb2_grpc.EventServiceStub(channel)
        began = time.monotonic()
        stream = stub.Subscribe(
            events_pb2.SubscribeRequest(after_cursor=0, consumer="bench"),
            metadata=(("authorization", f"Bearer {token}"),),
        )
        for message in stream:
            if message.event.cursor <= last:
                raise SystemExit(f"cursor {message.event.cursor} after {last}")
            last = message.event.cursor
            received += 1
            if received == count:
                stream.cancel()
                break
        elapsed = time.monotonic() - began
    return {"events": received, "seconds": elapsed}


def live(
    target: str, token: str, after: int, count: int, ready: Path
) -> dict[str, Any]:
    """Read `count` events written after `after`; each one's delay from its commit."""
    delays: list[float] = []
    with grpc.insecure_channel(target) as channel:
        stub = events_pb2_grpc.EventServiceStub(channel)
        stream = stub.Subscribe(
            events_pb2.SubscribeRequest(after_cursor=after, consumer="bench"),
            metadata=(("authorization", f"Bearer {token}"),),
        )
        grpc.channel_ready_future(channel).result(timeout=30)
        ready.touch()
        for message in stream:
            sent_ns = message.event.payload.fields["sent_ns"].number_value
            delays.append((time.time_ns() - sent_ns) / 1e9)
            if len(delays) == count:
                stream.cancel()
                break
    return {"events": len(delays), **_percentiles(sorted(delays))}


def _percentiles(ordered: list[float]) -> dict[str, float]:
    if not ordered:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def main() -> None:
    command, target, *args = sys.argv[1:]
    if command == "unary":
        callers = json.loads(Path(args[0]).read_text())
        figures = unary(target, callers, float(args[1]), int(args[2]))
    elif command == "replay":
        figures = replay(target, args[0], int(args[1]))
    elif command == "live":
        figures = live(target, args[0], int(args[1]), int(args[2]), Path(args[3]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
