"""Advice lines computed from the same templates, traffic and prices as the estimate."""

from collections.abc import Mapping

from foundry_infra.config import EnvironmentConfig
from foundry_infra.network import endpoints as by_need
from foundry_templates import Template
from foundry_templates.endpoints import endpoint_service
from foundry_templates.network import nat_gateways

from foundry_tools.cost.estimate import Context, apprunner_services, interface_endpoints, is_nat_instance
from foundry_tools.cost.prices import PriceTable
from foundry_tools.cost.schedules import awake_resources
from foundry_tools.cost.traffic import Traffic

# Flat-rate CloudFront plans (since 18 Nov 2025): (price key, requests included, GB included or None).
FLAT_RATE_PLANS = [
    ("cloudfront.plan.free_month", 1_000_000, 100.0),
    ("cloudfront.plan.pro_month", 10_000_000, 50_000.0),
    ("cloudfront.plan.business_month", 125_000_000, None),
    ("cloudfront.plan.premium_month", 500_000_000, None),
]


def _reason(config: EnvironmentConfig, service: str) -> str:
    return by_need.reason(config, service).removeprefix(f"{service}: ")


def _endpoint_advice(ctx: Context, config: EnvironmentConfig | None) -> list[str]:
    """Each endpoint's break-even against the NAT, and who calls it (or why the spec's endpoint is left
    out) from infra's endpoints-by-need table, the one place the choice is made."""
    nat_gb, endpoint_gb = ctx.prices.usd("nat.gb"), ctx.prices.usd("interface_endpoint.gb")
    endpoints = interface_endpoints(ctx)
    lines = []
    created = {endpoint_service(props.get("ServiceName")) for _, props in endpoints}
    for _, props in endpoints:
        service = endpoint_service(props.get("ServiceName"))
        why = f" Why it exists: {_reason(config, service)}." if config is not None else ""
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
            f"this profile sends {carried:.1f} GB through it, so {verdict}.{why}"
        )
    if config is not None:
        for service in by_need.SPEC_ENDPOINTS:
            if service not in created:
                lines.append(
                    f"endpoint {service} not created (DEVIATION from the spec's list): {_reason(config, service)}."
                )
    return lines


def _nat_advice(ctx: Context) -> list[str]:
    """A NAT gateway against a NAT instance, both with their public IPv4 address."""
    p, hours = ctx.prices, ctx.hours
    ipv4 = hours * p.usd("public_ipv4.hour")
    gateways = len(nat_gateways(ctx.templates.values()))
    instances = [props for _, _, props in ctx.resources("AWS::EC2::Instance") if is_nat_instance(props)]
    if not gateways and not instances:
        return []
    instance_type = str(instances[0].get("InstanceType")) if instances else "t4g.nano"
    key = f"ec2.{instance_type}.hour"
    if key not in p:
        return []
    volume = 8 * p.usd("ebs.gp3_gb_month")
    gateway = hours * p.usd("nat.hour") + ipv4 + ctx.traffic.nat_gb * p.usd("nat.gb")
    instance = hours * p.usd(key) + volume + ipv4
    now = f"{gateways} NAT gateway(s)" if gateways else f"{len(instances)} NAT instance(s)"
    return [
        f"NAT ({now}): a gateway costs ${gateway:.2f}/month each at {ctx.traffic.nat_gb:g} GB (hours, its "
        f"address, $0.045/GB); a {instance_type} NAT instance ${instance:.2f} (hours, 8 GB gp3, its address, "
        "no per-GB fee) with one instance's availability: network.nat=instance, dev and staging only."
    ]


def _apprunner_advice(ctx: Context) -> list[str]:
    p = ctx.prices
    lines = []
    alb = ctx.hours * (p.usd("alb.hour") + 2 * p.usd("public_ipv4.hour"))
    for logical_id, name, vcpu, memory_gb, minimum in apprunner_services(ctx):
        idle = minimum * memory_gb * ctx.awake_hours(logical_id) * p.usd("apprunner.gb_hour")
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


def advise(
    templates: Mapping[str, Template],
    traffic: Traffic,
    prices: PriceTable,
    config: EnvironmentConfig | None = None,
) -> list[str]:
    """`config` (the environment's configuration) names each endpoint's callers; without it the advice
    prices the endpoints only."""
    awake, _ = awake_resources(list(templates.values()))
    ctx = Context(templates=templates, traffic=traffic, prices=prices, awake=awake)
    return [
        *_endpoint_advice(ctx, config),
        *_nat_advice(ctx),
        *_apprunner_advice(ctx),
        *_cloudfront_advice(ctx),
    ]
