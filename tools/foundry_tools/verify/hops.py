"""Checks on the hops between CloudFront, the load balancers and the servers (issue 21).

- `origin-header`: every origin CloudFront forwards to a server (web and api, on App Runner or behind
  the origin ALB) sends ORIGIN_VERIFY_HEADER from Secrets Manager, and every service behind it receives
  the value it compares against. Without it the server's own public URL is a way around the WAF and
  the geo allowlist. S3 origins are judged by `uploads-no-public-buckets` (OAC), not here.
- `keep-alive-order`: every application load balancer closes an idle connection before the servers
  behind it do. A target that closes first makes the ALB answer 502:
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
"""

from foundry_contract import ORIGIN_VERIFY_HEADER, SERVER_KEEP_ALIVE_SECONDS
from foundry_infra.config.model import EnvironmentConfig
from foundry_templates.model import EnvironmentModel

from foundry_tools.verify.results import CheckResult

# The services CloudFront forwards to and the secret each compares the header against.
ORIGIN_VERIFY_SECRET = "ORIGIN_VERIFY_SECRET"  # noqa: S105 - an environment variable's name
# api and ai (uvicorn) and web (nginx) keep idle connections this long (foundry_contract.timeouts).
KEEP_ALIVE_SECONDS = dict.fromkeys(("api", "ai", "web"), SERVER_KEEP_ALIVE_SECONDS)


def origin_header(m: EnvironmentModel, config: EnvironmentConfig, r: "CheckResult") -> None:
    dist = m.distribution
    if dist is None:
        r.fail("no CloudFront distribution")
        return
    by_id = {service.id: service for service in m.services.values()}
    for origin in sorted(dist.origins.values(), key=lambda o: o.id):
        if origin.target in m.buckets:
            continue  # an S3 origin: OAC-signed, judged by uploads-no-public-buckets
        routes = m.load_balancer_routes.get(origin.target)
        behind = sorted(set(routes.values())) if routes is not None else [origin.target]
        source = origin.headers.get(ORIGIN_VERIFY_HEADER)
        if source not in {"secretsmanager", "deployed"}:
            r.fail(
                f"{dist.id}: origin {origin.id} -> {', '.join(behind)} does not send {ORIGIN_VERIFY_HEADER} "
                f"from Secrets Manager ({source or 'no header'}): its own URL bypasses the WAF"
            )
            continue
        for service_id in behind:
            service = by_id.get(service_id)
            if service is None:
                r.fail(f"{dist.id}: origin {origin.id} points at {service_id}, which is no known service")
            # How the value is delivered is judged by `secrets-manager`; here only that it arrives.
            elif ORIGIN_VERIFY_SECRET not in service.secret_env | service.plain_env.keys():
                r.fail(
                    f"{service.id}: receives {ORIGIN_VERIFY_HEADER} from {origin.id} but not "
                    f"{ORIGIN_VERIFY_SECRET}, so it cannot refuse requests without it"
                )
            else:
                r.note(f"{origin.id} -> {service.id}: {ORIGIN_VERIFY_HEADER} sent and checked")


def keep_alive_order(m: EnvironmentModel, config: EnvironmentConfig, r: "CheckResult") -> None:
    by_id = {service.id: service for service in m.services.values()}
    judged = 0
    for balancer, routes in sorted(m.load_balancer_routes.items()):
        idle = m.load_balancer_idle_timeouts.get(balancer)
        if idle is None:
            continue  # not an application load balancer
        for service_id in sorted(set(routes.values())):
            service = by_id.get(service_id)
            keep_alive = KEEP_ALIVE_SECONDS.get(service.name if service else "")
            if keep_alive is None:
                continue
            judged += 1
            if idle >= keep_alive:
                r.fail(
                    f"{balancer}: idle timeout {idle}s >= {service_id}'s keep-alive {keep_alive}s: the ALB "
                    "reuses connections the server closed and answers 502"
                )
            else:
                r.note(f"{balancer}: idle timeout {idle}s < {service_id}'s keep-alive {keep_alive}s")
    if not judged:
        r.note("no application load balancer in front of api, ai or web (App Runner runs their front door)")
