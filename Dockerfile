# Two images from one file:
# - production (the default target): every process of the service (web, gRPC,
#   workers, beat) with the runtime dependencies only; neither the gateway sandbox nor its
#   dependency group is in it.
# - sandbox: the same plus the `sandbox` dependency group and gateway_sandbox/, on
#   local settings: the gateway sandbox, and the service of docker-compose's demo.

FROM python:3.11-slim AS runtime

# Bytecode is compiled once, at build time (the dependencies by uv, the source below),
# and never written at run time: the code is the image's, not the service user's.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/opt/venv/bin:$PATH"

# DejaVu: invoice PDFs print plan names in Cyrillic (the standard PDF fonts cannot).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-default-groups --no-install-project
# var/media exists in the image, the service user's: a volume mounted there first
# (docker-compose's `media`, which web and workers share) takes its owner.
RUN useradd --system --home /app billing && mkdir -p /app/var/media \
    && chown -R billing /app/var

# The gRPC code generated from the .proto files (never committed): made here with
# the `codegen` group, so that grpcio-tools stays out of the images that run.
FROM runtime AS grpc-code
RUN uv sync --locked --no-default-groups --group codegen --no-install-project
COPY grpc_api/protos grpc_api/protos
RUN grpc_api/protos/generate /opt/venv/bin/python

# The source without the sandbox, assembled apart so that no layer of the production
# image ever holds gateway_sandbox/.
FROM runtime AS production-source
COPY . /source
COPY --from=grpc-code /app/grpc_api/generated /source/grpc_api/generated
RUN rm -rf /source/gateway_sandbox && python -m compileall -q /source

FROM runtime AS sandbox
RUN uv sync --locked --no-default-groups --group sandbox --no-install-project
COPY . .
COPY --from=grpc-code /app/grpc_api/generated grpc_api/generated
RUN python -m compileall -q /app
# Images carry no .git, so the entry points do not guess the settings (README).
ENV DJANGO_SETTINGS_MODULE=config.settings.local
USER billing
EXPOSE 8100
CMD ["python", "manage.py", "gateway_sandbox", "--host", "0.0.0.0", "--port", "8100"]

# Last, so that a build without --target makes the production image.
FROM runtime AS production
COPY --from=production-source /source /app
# Without its secrets the service then refuses to start, naming each (README).
ENV DJANGO_SETTINGS_MODULE=config.settings.production
USER billing
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4"]
