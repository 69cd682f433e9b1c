"""The edge's behaviour, shared by the CloudFront distribution and the local twin's edge router."""

from dataclasses import dataclass

ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
INTERNAL_API_KEY_HEADER = "X-Internal-Api-Key"

# Path patterns CloudFront routes to the api origin; everything else goes to web (spec §1).
API_PATH_PATTERNS: tuple[str, ...] = ("/graphql", "/api/*")
STATIC_ASSETS_PATTERN = "/assets/*"
SPA_FALLBACK_DOCUMENT = "/index.html"

# Response headers both edges add (CloudFront response-headers policy, local router), besides the
# Content-Security-Policy below, which names the environment's own hosts.
# - HSTS without `preload`: the preload list takes registrable domains only, never CloudFront's
#   *.cloudfront.net or a subdomain such as app.example.com, so the token promised nothing.
#   https://hstspreload.org/#submission-requirements
# - X-XSS-Protection 0: the XSS auditor is gone from every current browser, and where it lingered
#   `1; mode=block` could be abused to leak data; the CSP is the protection now.
#   https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-XSS-Protection
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-XSS-Protection": "0",
}
CSP_HEADER = "Content-Security-Policy"
# What Clerk's components load besides its Frontend API (the issuer's host): avatars from img.clerk.com
# and the bot-protection challenge from Cloudflare Turnstile.
# https://clerk.com/docs/security/clerk-csp
CLERK_IMAGE_HOST = "https://img.clerk.com"
CLERK_CHALLENGE_HOST = "https://challenges.cloudflare.com"


def uploads_origins(*, bucket: str, region: str) -> tuple[str, ...]:
    """Where browsers PUT and GET uploads: the bucket's virtual-hosted origins (regional, and the
    legacy global one that pre-signed URLs use in us-east-1).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html"""
    regional = f"https://{bucket}.s3.{region}.amazonaws.com"
    return (regional, f"https://{bucket}.s3.amazonaws.com") if region == "us-east-1" else (regional,)


def content_security_policy(*, uploads: tuple[str, ...], clerk_frontend_api: str | None) -> str:
    """The app's policy: its own scripts and API, Clerk (when it signs users in), the uploads bucket
    for the pre-signed PUT and GET; no plugins, no framing, no foreign forms.

    `style-src 'unsafe-inline'`: Clerk's components inject their styles at run time (Clerk's CSP
    guide lists it). React's style props are set through the CSSOM, which CSP does not govern.
    """
    clerk = (clerk_frontend_api.rstrip("/"),) if clerk_frontend_api else ()
    challenge = (CLERK_CHALLENGE_HOST,) if clerk else ()
    directives: dict[str, tuple[str, ...]] = {
        "default-src": ("'self'",),
        "script-src": ("'self'", *clerk, *challenge),
        "connect-src": ("'self'", *clerk, *uploads),
        "img-src": ("'self'", "data:", *((CLERK_IMAGE_HOST,) if clerk else ()), *uploads),
        "style-src": ("'self'", "'unsafe-inline'"),
        "font-src": ("'self'",),
        "frame-src": ("'self'", *challenge),
        "worker-src": ("'self'", "blob:"),
        "form-action": ("'self'",),
        "base-uri": ("'self'",),
        "object-src": ("'none'",),
        "frame-ancestors": ("'none'",),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


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
