"""The web app's traffic, read from its source: the GraphQL operations it sends, and probes built on them."""
