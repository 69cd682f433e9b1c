"""The edge's behaviour, shared by the CloudFront distribution and the local twin's edge router."""

from dataclasses import dataclass

ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
INTERNAL_API_KEY_HEADER = "X-Internal-Api-Key"

# Path patterns CloudFront routes to the api origin; everything else goes to web (spec §1).
API_PATH_PATTERNS: tuple[str, ...] = ("/graphql", "/api/*")
STATIC_ASSETS_PATTERN = "/assets/*"
SPA_FALLBACK_DOCUMENT = "/index.html"

# Response headers both edges add (CloudFront response-headers policy, local router).
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-XSS-Protection": "1; mode=block",
}

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


@dataclass(frozen=True, kw_only=True)
class CorsRule:
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    expose: tuple[str, ...]
    max_age_seconds: int


# The uploads bucket's CORS rule (browsers PUT straight to S3 through pre-signed URLs, spec §5); the
# allowed origin is the site's own, filled in by whoever applies the rule.
UPLOAD_CORS_RULE = CorsRule(
    methods=("PUT", "GET"), headers=("content-type", "content-length"), expose=("etag",), max_age_seconds=3000
)
