"""Advice lines computed from the same templates, traffic and prices as the estimate."""

from collections.abc import Mapping

from foundry_templates import Template
from foundry_templates.endpoints import endpoint_service

from foundry_tools.cost.estimate import Context, apprunner_services, interface_endpoints
from foundry_tools.cost.prices import PriceTable
from foundry_tools.cost.traffic import Traffic

# Flat-rate CloudFront plans (since 18 Nov 2025): (price key, requests included, GB included or None).
FLAT_RATE_PLANS = [
    ("cloudfront.plan.free_month", 1_000_000, 100.0),
    ("cloudfront.plan.pro_month", 10_000_000, 50_000.0),
    ("cloudfront.plan.business_month", 125_000_000, None),
    ("cloudfront.plan.premium_month", 500_000_000, None),
]


def _endpoint_advice(ctx: Context) -> list[str]:
    nat_gb, endpoint_gb = ctx.prices.usd("nat.gb"), ctx.prices.usd("interface_endpoint.gb")
    endpoints = interface_endpoints(ctx)
    lines = []
    for _, props in endpoints:
        service = endpoint_service(props.get("ServiceName"))
        enis = len(props.get("SubnetIds", [])) or 1
        fixed = enis * ctx.hours * ctx.prices.usd("interface_endpoint.az_hour")
        if service == "apprunner.requests":
            lines.append(
                f"endpoint {service} ({enis} AZ, ${fixed:.2f}/month) is the private ai service's only way in; "
                "NAT cannot replace it."
            )
            continue
        break_even = fixed / (nat_gb - endpoint_gb)
        carried = ctx.traffic.endpoint_gb / len(endpoints)
        through_endpoint = fixed + carried * endpoint_gb
        through_nat = carried * nat_gb
        verdict = (
            f"keeping it costs ${through_endpoint - through_nat:.2f}/month more than sending it through the NAT"
            if through_endpoint > through_nat
            else f"it saves ${through_nat - through_endpoint:.2f}/month over the NAT"
        )
        lines.append(
            f"endpoint {service} ({enis} AZ, ${fixed:.2f}/month) beats NAT processing above {break_even:.0f} GB/month; "
            f"this profile sends {carried:.1f} GB through it, so {verdict}."
        )
    return lines


def _apprunner_advice(ctx: Context) -> list[str]:
    p = ctx.prices
    lines = []
    alb = ctx.hours * (p.usd("alb.hour") + 2 * p.usd("public_ipv4.hour"))
    for _, name, vcpu, memory_gb, minimum in apprunner_services(ctx):
        idle = minimum * memory_gb * ctx.hours * p.usd("apprunner.gb_hour")
        per_active_hour = vcpu * p.usd("apprunner.vcpu_hour")
        active = ctx.traffic.apprunner_active_hours
        apprunner = idle + active * per_active_hour
        fargate = (
            minimum * ctx.hours * (vcpu * p.usd("fargate.vcpu_hour") + memory_gb * p.usd("fargate.gb_hour"))
        )
        break_even = (fargate - idle) / per_active_hour
        cheaper = "App Runner" if apprunner <= fargate else "Fargate"
        lines.append(
            f"{name} ({vcpu:g} vCPU/{memory_gb:g} GB × {minimum}): App Runner ${apprunner:.2f}/month at "
            f"{active:.0f} active h vs always-on Fargate ${fargate:.2f}; break-even at {break_even:.0f} active "
            f"h/month, so {cheaper} is cheaper (Fargate behind its own ALB adds ${alb:.2f})."
        )
    return lines


def _cloudfront_advice(ctx: Context) -> list[str]:
    distributions = ctx.count("AWS::CloudFront::Distribution")
    if not distributions:
        return []
    p, traffic = ctx.prices, ctx.traffic
    requests = traffic.cloudfront_requests_m * 1_000_000 / distributions
    gb = traffic.cloudfront_gb / distributions
    waf = 0.0
    for _, _, props in ctx.resources("AWS::WAFv2::WebACL"):
        waf += p.usd("waf.web_acl_month") + len(props.get("Rules", [])) * p.usd("waf.rule_month")
    waf += traffic.cloudfront_requests_m * p.usd("waf.million_requests")
    delivery = distributions * (
        gb * p.usd("cloudfront.gb") + requests / 10_000 * p.usd("cloudfront.10k_requests")
    )
    pay_as_you_go = delivery + waf
    plan = next(
        (
            (key, p.usd(key) * distributions)
            for key, max_requests, max_gb in FLAT_RATE_PLANS
            if requests <= max_requests and (max_gb is None or gb <= max_gb)
        ),
        None,
    )
    if plan is None:
        return [
            f"CloudFront: {requests / 1e6:.0f}M requests exceed every flat-rate plan; stay on pay-as-you-go."
        ]
    key, flat = plan
    name = key.split(".")[2].removesuffix("_month").capitalize()
    better = "the flat-rate plan" if flat < pay_as_you_go else "pay-as-you-go"
    return [
        f"CloudFront at {traffic.cloudfront_requests_m:g}M requests and {traffic.cloudfront_gb:g} GB: pay-as-you-go "
        f"${delivery:.2f} + WAF ${waf:.2f} = ${pay_as_you_go:.2f}/month vs flat-rate {name} ${flat:.2f} "
        f"(WAF included, no overage, no Lambda@Edge); {better} is cheaper by ${abs(pay_as_you_go - flat):.2f}."
    ]


def advise(templates: Mapping[str, Template], traffic: Traffic, prices: PriceTable) -> list[str]:
    ctx = Context(templates=templates, traffic=traffic, prices=prices)
    return [*_endpoint_advice(ctx), *_apprunner_advice(ctx), *_cloudfront_advice(ctx)]
