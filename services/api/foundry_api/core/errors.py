"""Errors a client may see verbatim; everything else is masked with a request id (core/graphql.py)."""


class ClientError(Exception):
    """A request the client can fix (bad argument, invalid cursor): shown as-is in `errors`."""
