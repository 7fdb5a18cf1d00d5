"""The gRPC server: its port, pool and limits (grpc_api.server)."""

from __future__ import annotations

import datetime

from config import env as environment

GRPC_PORT = environment.GRPC_PORT
# Threads serving calls; a call beyond them waits for one (a stream holds its thread
# until it ends, so this also bounds live event streams).
GRPC_MAX_WORKERS = environment.GRPC_MAX_WORKERS
# Concurrent calls on one HTTP/2 connection; more wait at the client.
GRPC_MAX_CONCURRENT_STREAMS = environment.GRPC_MAX_CONCURRENT_STREAMS
# Largest request and response message; a larger one fails RESOURCE_EXHAUSTED.
GRPC_MAX_MESSAGE_BYTES = environment.GRPC_MAX_MESSAGE_BYTES
# How long a stopping server lets calls in flight finish before cancelling them.
GRPC_SHUTDOWN_GRACE_SECONDS = 10.0
# How often the health service asks the database whether it answers.
GRPC_HEALTH_CHECK_INTERVAL_SECONDS = 5.0
# How long a caller's idempotency key answers with its first result; after that the
# key is forgotten (beat purges it daily) and may be used again.
IDEMPOTENCY_KEY_RETENTION = datetime.timedelta(hours=24)
