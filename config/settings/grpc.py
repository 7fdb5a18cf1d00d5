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
# Events read from the outbox per query by a stream: a stream holds at most one
# batch in memory, however slowly its consumer reads.
GRPC_EVENTS_BATCH_SIZE = environment.GRPC_EVENTS_BATCH_SIZE
# How often a waiting stream re-reads the outbox on SQLite, which has no NOTIFY.
GRPC_EVENTS_POLL_SECONDS = environment.GRPC_EVENTS_POLL_SECONDS
# How often a waiting stream re-reads on PostgreSQL with no notification: the net
# under a lost wake-up.
GRPC_EVENTS_REPOLL_SECONDS = environment.GRPC_EVENTS_REPOLL_SECONDS
# How long a caller's idempotency key answers with its first result; after that the
# key is forgotten (beat purges it daily) and may be used again.
IDEMPOTENCY_KEY_RETENTION = datetime.timedelta(hours=24)
# Where Stripe's 3-D Secure sends the payer back after StartSubscription: the
# frontend's page, which then calls Complete3ds (docs/grpc.md).
GRPC_3DS_RETURN_URL = environment.GRPC_3DS_RETURN_URL
