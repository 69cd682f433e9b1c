"""What AWS WAF sees of a web request at CloudFront: method, path, query, headers, body, viewer IP."""

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class WafRequest:
    """A viewer request as CloudFront hands it to WAF (before it forwards anything to an origin).

    `uri_path` is the path as the viewer sent it (no query), `query_string` the raw text after `?`,
    `headers` the viewer's (name, value) pairs in order, `body` the whole body (WAF sees only up to
    the web ACL's inspection limit; `fields` applies it), `client_ip` the viewer's address.
    """

    method: str
    uri_path: str
    query_string: str = ""
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header_values(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)
