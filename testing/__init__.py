"""Helpers shared by tests, benchmarks and scripts: free ports, a live gunicorn service, synthetic data.

Not part of the service: nothing under ``api/``, ``engine/``, ``screening/`` or ``messages/``
imports it.
"""
