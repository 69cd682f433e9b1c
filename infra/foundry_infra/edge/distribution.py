"""The CloudFront distribution of spec §1: `web` by default, `/graphql` and `/api/*` to `api`.

The api origin receives a secret header that `api` checks, so its public App Runner URL is useless
without CloudFront (and the WAF in front of it). On ECS, web and api sit behind one internal ALB that
CloudFront reaches as a VPC origin (services/ecs.py).
"""

import re

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct
from foundry_contract import API_PATH_PATTERNS, ORIGIN_VERIFY_HEADER, SECURITY_HEADERS, STATIC_ASSETS_PATTERN

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import EdgeConfig
from foundry_infra.nag import acknowledge
from foundry_infra.services.ecs import OriginLoadBalancer

# Client-side routes have no file extension: serve the app shell for them, the file itself otherwise.
# Scoped to the web behavior, unlike a distribution-wide error page that would also rewrite api errors.
SPA_REWRITE = """\
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.lastIndexOf('.') <= uri.lastIndexOf('/')) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def origin_verify_headers(secret: sm.ISecret) -> dict[str, str]:
    """The header CloudFront adds to every request it forwards to a server origin (web and api), so
    their own public URLs, which the WAF and the geo allowlist never see, refuse requests without it.
    The secret travels as a CloudFormation dynamic reference, resolved at deploy time: the template
    holds only the reference. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html
    """
    return {ORIGIN_VERIFY_HEADER: secret.secret_value.unsafe_unwrap()}


class Distribution(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EdgeConfig,
        web_origin: cloudfront.IOrigin,
        api_endpoint: str | OriginLoadBalancer,
        origin_verify: sm.ISecret,
        web_acl_arn: str,
        certificate: acm.ICertificate | None,
        log_bucket: s3.IBucket,
        content_security_policy: str,
    ) -> None:
        super().__init__(scope, id_)
        # The same headers the twin's edge adds, read from foundry_contract.edge (one source).
        hsts = SECURITY_HEADERS["Strict-Transport-Security"]
        hsts_max_age = re.search(r"max-age=(\d+)", hsts)
        assert hsts_max_age is not None, hsts
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="HSTS, CSP and friends on every response (spec §13)",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(int(hsts_max_age[1])),
                    include_subdomains="includeSubDomains" in hsts,
                    preload="preload" in hsts,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption[SECURITY_HEADERS["X-Frame-Options"]],
                    override=True,
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy[
                        SECURITY_HEADERS["Referrer-Policy"].upper().replace("-", "_")
                    ],
                    override=True,
                ),
                # Protection off sends "X-XSS-Protection: 0":
                # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=SECURITY_HEADERS["X-XSS-Protection"] != "0", override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy, override=True
                ),
            ),
        )
        # api checks the header on either backend: on ECS the origin ALB is private already, and the
        # header keeps a second, independent check (defense in depth).
        origin_headers = origin_verify_headers(origin_verify)
        self.api_origin: cloudfront.IOrigin = (
            origins.HttpOrigin(
                api_endpoint,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                custom_headers=origin_headers,
                read_timeout=Duration.seconds(30),
            )
            if isinstance(api_endpoint, str)
            else api_endpoint.origin(custom_headers=origin_headers)
        )
        api_behavior = cloudfront.BehaviorOptions(
            origin=self.api_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=self.headers,
        )
        assets_cache = cloudfront.CachePolicy(
            self,
            "AssetsCache",
            comment="Content-hashed build assets: cache for a year",
            min_ttl=Duration.days(1),
            default_ttl=Duration.days(365),
            max_ttl=Duration.days(365),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        self.spa_rewrite = cloudfront.Function(
            self,
            "SpaRewrite",
            code=cloudfront.FunctionCode.from_inline(SPA_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Serve index.html for client-side routes",
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Foundry edge: web and api",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=web_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.spa_rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                **{pattern: api_behavior for pattern in API_PATH_PATTERNS},
                STATIC_ASSETS_PATTERN: cloudfront.BehaviorOptions(
                    origin=web_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=assets_cache,
                    response_headers_policy=self.headers,
                ),
            },
            web_acl_id=web_acl_arn,
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass[
                config.price_class.upper().replace("PRICECLASS_", "PRICE_CLASS_")
            ],
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
            geo_restriction=cloudfront.GeoRestriction.allowlist(*config.geo_allowlist)
            if config.geo_allowlist
            else None,
        )
        if not config.geo_allowlist:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR1",
                reason="The product serves every country; set edge.geo_allowlist to restrict it.",
            )
        if certificate is None:
            default_certificate = (
                "Without edge.domain_name the distribution uses its *.cloudfront.net certificate, "
                "whose TLS policy AWS fixes; with a custom domain TLSv1.2_2021 applies."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR4", reason=default_certificate)
            skip_checkov(self.distribution, "CKV_AWS_174", reason=default_certificate)

    @property
    def domain_name(self) -> str:
        return self.distribution.distribution_domain_name
