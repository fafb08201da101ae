"""The local AWS emulator: moto's server, extended where moto lacks what real AWS does.

Start it with ``python -m local_aws`` (see ``local_aws/__main__.py``) or, from tests,
``local_aws.server.start()``. Extensions to moto live in ``local_aws/extensions`` and are
listed in the README's emulator table; each keeps botocore's request and response shapes.
"""
