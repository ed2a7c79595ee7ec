"""The API contract ``/openapi.json`` publishes, completed from what the code declares.

``errors`` (which codes each operation answers, from the registry ``engine.codes``), ``examples``
(recorded on the seeded service), ``links``, and ``plugin`` (the apispec plugin that writes them,
the roles of each operation and the typed passenger and rule schemas into the document).
A view declares the codes it raises itself with :func:`answers`.
"""

from api.contract.errors import answers

__all__ = ["answers"]
