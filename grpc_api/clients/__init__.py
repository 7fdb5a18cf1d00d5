"""Clients of other services' gRPC APIs, behind the ports the domain defines."""

from grpc_api.clients.auth_directory import AuthServiceDirectory

__all__ = ["AuthServiceDirectory"]
