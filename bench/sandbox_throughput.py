"""Gateway sandbox throughput with slow replies and many requests held open.

Starts `manage.py gateway_sandbox` in its own process with 50 ms latency and the
concurrent-request limit raised, then keeps 64 CloudPayments token charges in flight
(the renewal path) and reports requests per second and latency percentiles.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from bench.loadgen import LoadGenerator, Reply, Request
from bench.machine import describe_machine
from bench.services import free_port
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS

ROOT = Path(__file__).resolve().parents[1]
LATENCY_MS = 50
IN_FLIGHT = 64
REQUESTS = int(os.environ.get("BENCH_SANDBOX_REQUESTS", "12000"))
WARM_UP = 500
GOAL_PER_SECOND = 800
# The sandbox runs only with its own credentials.
PUBLIC_ID = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_PUBLIC_ID"]
API_SECRET = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]


def _start_sandbox(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "gateway_sandbox",
            "--port",
            str(port),
            "--notify-url",
            "",
            "--latency-ms",
            str(LATENCY_MS),
            "--max-in-flight",
            str(IN_FLIGHT * 2),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


async def _wait_until_up(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            async with session.get(f"{base}/__sandbox/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        await asyncio.sleep(0.2)


async def _issue_token(session: aiohttp.ClientSession, base: str) -> str:
    async with session.post(
        f"{base}/__sandbox/cp/cryptogram",
        json={"number": "4000000000003055", "exp": "1230", "cvv": "123"},
    ) as response:
        cryptogram = (await response.json())["CardCryptogramPacket"]
    async with session.post(
        f"{base}/payments/cards/charge",
        json={
            "Amount": 10,
            "Currency": "RUB",
            "IpAddress": "127.0.0.1",
            "CardCryptogramPacket": cryptogram,
            "AccountId": "bench-payer",
        },
    ) as response:
        body = await response.json()
    if not body["Success"]:
        raise RuntimeError(f"could not issue a token: {body}")
    return str(body["Model"]["Token"])


def _token_charges(token: str, count: int) -> Iterator[Request]:
    basic = base64.b64encode(f"{PUBLIC_ID}:{API_SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/json"}
    for _ in range(count):
        payload = {
            "Amount": 199,
            "Currency": "RUB",
            "AccountId": "bench-payer",
            "Token": token,
            "InvoiceId": uuid.uuid4().hex,
            "TrInitiatorCode": 0,
            "PaymentScheduled": 1,
        }
        body = json.dumps(payload).encode()
        yield Request("POST", "/payments/tokens/charge", body, headers)


async def _charge_many(
    base: str, token: str, count: int
) -> tuple[float, list[float], dict[str, int]]:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    def count_reply(request: Request, reply: Reply) -> None:
        latencies.append(reply.seconds)
        succeeded = reply.status == 200 and b'"Success": true' in reply.body
        key = "ok" if succeeded else f"HTTP {reply.status}"
        outcomes[key] = outcomes.get(key, 0) + 1

    load = LoadGenerator(base, connections=IN_FLIGHT)
    elapsed = await load.run(_token_charges(token, count), count_reply)
    return elapsed, latencies, outcomes


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(base: str, sandbox_pid: int) -> None:
    auth = aiohttp.BasicAuth(PUBLIC_ID, API_SECRET)
    async with aiohttp.ClientSession(auth=auth) as session:
        await _wait_until_up(session, base)
        token = await _issue_token(session, base)
    await _charge_many(base, token, WARM_UP)
    cpu_before = _cpu_seconds(sandbox_pid)
    elapsed, latencies, outcomes = await _charge_many(base, token, REQUESTS)
    sandbox_cpu = _cpu_seconds(sandbox_pid) - cpu_before
    rate = REQUESTS / elapsed
    cuts = statistics.quantiles(latencies, n=100)
    print("Gateway sandbox throughput (CloudPayments token charges)")
    print(f"  machine:      {describe_machine()}")
    print(f"  set-up:       latency {LATENCY_MS} ms, {IN_FLIGHT} requests in flight")
    print(f"  requests:     {REQUESTS} in {elapsed:.2f} s; outcomes {outcomes}")
    print(f"  throughput:   {rate:.0f} requests/s (goal >= {GOAL_PER_SECOND})")
    print(
        f"  latency:      p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, "
        f"p99 {cuts[98] * 1000:.1f} ms"
    )
    print(f"  bound:        {IN_FLIGHT / (LATENCY_MS / 1000):.0f} requests/s at best")
    print(
        f"  sandbox CPU:  {sandbox_cpu / REQUESTS * 1000:.2f} ms per request "
        f"({sandbox_cpu / elapsed:.0%} of one core)"
    )


def main() -> None:
    port = free_port()
    sandbox = _start_sandbox(port)
    try:
        asyncio.run(_run(f"http://127.0.0.1:{port}", sandbox.pid))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
