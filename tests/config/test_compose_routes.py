"""Traefik's routes in `docker-compose.yml`: the site to web, webhooks to the edge,
gRPC over h2c with gRPC-Web for browsers, Flower behind a password, /metrics kept
inside, and traefik's own health check."""

from __future__ import annotations

from tests.config.compose_file import default_services, labels, traefik_labels

ROUTER = "traefik.http.routers"
SERVICE = "traefik.http.services"
MIDDLEWARE = "traefik.http.middlewares"


def _router(name: str) -> dict[str, str]:
    """One router's settings (rule, service, middlewares …), keys lower-cased."""
    prefix = f"{ROUTER}.{name}."
    return {
        key.removeprefix(prefix): value
        for key, value in traefik_labels().items()
        if key.startswith(prefix)
    }


def _served_by(traefik_service: str) -> list[str]:
    """The compose services whose labels define `traefik_service`."""
    key = f"{SERVICE}.{traefik_service}.loadbalancer.server.port"
    return [
        name
        for name, service in default_services().items()
        if key in {label.lower() for label in labels(service)}
    ]


def _middlewares(router: str) -> list[str]:
    return _router(router).get("middlewares", "").split(",")


class TestTheSite:
    def test_goes_to_web(self) -> None:
        web = _router("web")

        assert web["rule"] == "Host(`billing.localhost`)"
        assert _served_by(web["service"]) == ["web"]
        assert traefik_labels()[f"{SERVICE}.web.loadbalancer.server.port"] == "8000"


class TestWebhooks:
    def test_go_to_the_edge_before_web(self) -> None:
        webhooks = _router("webhooks")

        assert webhooks["rule"] == (
            "Host(`billing.localhost`) && PathPrefix(`/webhooks/`)"
        )
        assert _served_by(webhooks["service"]) == ["edge"]
        assert traefik_labels()[f"{SERVICE}.edge.loadbalancer.server.port"] == "8001"
        assert int(webhooks["priority"]) > int(_router("web").get("priority", 0))

    def test_the_edge_serves_the_asgi_application_on_its_port(self) -> None:
        command = default_services()["edge"]["command"]

        assert command[:2] == ["gunicorn", "config.edge:application"]
        assert "uvicorn_worker.UvicornWorker" in command
        assert command[command.index("--bind") + 1] == "0.0.0.0:8001"


class TestGrpc:
    def test_is_carried_over_h2c(self) -> None:
        grpc = _router("grpc")

        assert grpc["rule"] == "Host(`grpc.billing.localhost`)"
        assert _served_by(grpc["service"]) == ["grpc"]
        scheme = traefik_labels()[f"{SERVICE}.grpc.loadbalancer.server.scheme"]
        assert scheme == "h2c"

    def test_browsers_reach_billing_service_with_grpc_web(self) -> None:
        """Only BillingService, from the origins the deployment names (never `*`)."""
        grpc_web = _router("grpc-web")
        (middleware,) = _middlewares("grpc-web")

        assert "PathPrefix(`/billing.v1.BillingService/`)" in grpc_web["rule"]
        assert grpc_web["service"] == "grpc"
        origins = traefik_labels()[f"{MIDDLEWARE}.{middleware}.grpcweb.alloworigins"]
        assert origins.startswith("${GRPC_WEB_ALLOWED_ORIGINS:-")
        assert "*" not in origins


class TestFlower:
    def test_asks_for_a_password_at_traefik(self) -> None:
        (middleware,) = _middlewares("flower")

        assert _router("flower")["rule"].startswith("Host(`flower.localhost`)")
        assert _served_by(_router("flower")["service"]) == ["flower"]
        assert traefik_labels()[f"{MIDDLEWARE}.{middleware}.basicauth.users"] == (
            "${TRAEFIK_FLOWER_USERS:-}"
        )


class TestMetrics:
    def test_are_refused_to_anyone_outside(self) -> None:
        """Prometheus scrapes web:8000/metrics on the compose network; through
        traefik the path is allowed from traefik's own loopback only, i.e. nobody."""
        metrics = _router("metrics")
        (middleware,) = _middlewares("metrics")

        assert metrics["rule"] == "Host(`billing.localhost`) && Path(`/metrics`)"
        assert int(metrics["priority"]) > int(_router("webhooks")["priority"])
        allowed = traefik_labels()[f"{MIDDLEWARE}.{middleware}.ipallowlist.sourcerange"]
        assert allowed == "127.0.0.1/32"

    def test_the_grpc_server_exposes_its_own(self) -> None:
        grpc = default_services()["grpc"]
        port = grpc["command"][grpc["command"].index("--metrics-port") + 1]

        assert port in grpc["expose"]
        assert not any("9101" in key for key in traefik_labels())


class TestTraefik:
    def test_routes_only_what_is_labelled(self) -> None:
        command = default_services()["traefik"]["command"]

        assert "--providers.docker.exposedbydefault=false" in command

    def test_checks_its_health_with_its_ping(self) -> None:
        traefik = default_services()["traefik"]

        assert "--ping=true" in traefik["command"]
        assert traefik["healthcheck"]["test"][1:] == [
            "traefik",
            "healthcheck",
            "--ping",
        ]
