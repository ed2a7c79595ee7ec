"""The border targeting service: a Flask app over the engine, the rule store, the cache and the audit log.

``create_app()`` reads settings from the environment (``api.config``); tests pass their own
settings or ready-made services.
"""

from api.app import create_app

__all__ = ["create_app"]
