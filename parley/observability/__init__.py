"""Seeing a running Parley: Prometheus metrics, one structured log line per request, request ids."""
