"""The web ACL judged by what it does: evaluated as AWS WAF would on the web app's own requests.

`waf-behaviour` sends every operation the web app has (by id, from relay-compiler's persisted documents, with realistic
variables: long, non-Latin, HTML, SQL prompts) and every spelling of introspection through
`foundry_waf`, the evaluator the twin's edge runs, against the synthesized or deployed web ACL.
PASS: the web app is served and introspection refused; FAIL names the probe and the rule that decided.
"""

from collections import Counter

from foundry_infra.config.model import EnvironmentConfig
from foundry_templates.model import EnvironmentModel
from foundry_waf import WebAclEvaluator
from foundry_waf.errors import InvalidWebAclError

from foundry_tools.verify.results import CheckResult
from foundry_tools.webapp.operations import WebSourceError, web_operations
from foundry_tools.webapp.probes import all_probes


def web_acl_serves_the_web_app(m: EnvironmentModel, config: EnvironmentConfig, r: "CheckResult") -> None:
    dist = m.distribution
    acl = m.web_acls.get(dist.web_acl or "") if dist is not None else None
    if acl is None:
        # The waf check fails for this; one breakage fails one check.
        r.note("no web ACL on the distribution to evaluate (the waf check judges that)")
        return
    try:
        evaluator = WebAclEvaluator(acl.properties, regex_pattern_sets=acl.regex_pattern_sets)
        operations = web_operations()
    except (InvalidWebAclError, WebSourceError, KeyError) as error:
        r.fail(f"{acl.id}: {error}")
        return
    probes = all_probes(operations, body_inspection_limit=evaluator.context.body_limit)
    served = blocked = 0
    by_rule: Counter[str] = Counter()
    undecided: set[str] = set()
    introspection_served: list[str] = []
    left_to_api: list[str] = []
    for index, probe in enumerate(probes):
        # One viewer address per probe: the rate-based rule judges bursts, not this handful.
        result = evaluator.evaluate(probe.request(client_ip=f"203.0.113.{index % 250 + 1}"))
        undecided.update(result.undecided)
        if result.blocked:
            blocked += 1
            by_rule[result.deciding] += 1
        else:
            served += 1
        if probe.expect == "served" and result.blocked:
            r.fail(f"{probe.name} ({len(probe.body)} bytes): blocked by {result.deciding}")
        elif probe.expect == "blocked" and not result.blocked:
            if config.waf.block_introspection:
                r.fail(f"{probe.name}: served (decided by {result.deciding}); introspection must be refused")
            else:
                introspection_served.append(probe.name)
        elif probe.expect == "api" and not result.blocked:
            left_to_api.append(probe.name)
    rules = ", ".join(f"{rule} x{count}" for rule, count in sorted(by_rule.items())) or "none"
    # The first note is the table's headline: the counts.
    r.evidence.insert(
        0,
        f"{acl.id}: {len(probes)} requests ({len(operations)} web operations: {', '.join(sorted(operations))}): "
        f"{served} served, {blocked} blocked ({rules})",
    )
    if introspection_served:
        r.deviate(
            f"{len(introspection_served)} introspection requests served "
            f"(waf.block_introspection=false in {config.name}; the api decides)"
        )
    for name in left_to_api:
        r.note(
            f"{name}: beyond the {evaluator.context.body_limit}-byte inspection limit, left to the api's own rule"
        )
    if undecided:
        groups = sorted({rule.split("/")[0] for rule in undecided})
        r.note(
            f"not emulated (AWS's own signatures and lists; they could still block): "
            f"{len(undecided)} rules in {', '.join(groups)}"
        )
    if r.status == "PASS":
        r.note("every web operation is served; introspection is refused")
