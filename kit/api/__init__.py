"""Plumbing of the HTTP API shared by every app's views."""
