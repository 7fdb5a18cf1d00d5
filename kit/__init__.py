"""The shared kit at the bottom of the project: plumbing every app may use.

The base of anticipated business errors (`kit.errors`); the HTTP API's error
output, authentication, parsers, permissions, fields, path parsing and pagination
(`kit.api`), the admin's read-only bases and display pieces (`kit.admin`), the
session engine (`kit.sessions`), the one redaction policy (`kit.redaction`) and
the request id that follows a piece of work across processes (`kit.correlation`). It
imports none of the project's apps, so the billing apps and the shop alike can
build on it.
"""
