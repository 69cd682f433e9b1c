"""The web ACLs the environments deploy, evaluated as AWS WAF would on the web app's own requests.

The old prod rule (before issue 14, kept as JSON in waf/tests/fixtures/) is the mutation: each expectation
below is shown to fail on it.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from foundry_infra.edge import waf as infra_waf
from foundry_templates import SynthesizedEnvironment
from foundry_tools.webapp.operations import web_operations
from foundry_tools.webapp.probes import (
    API_MAX_BODY_BYTES,
    GRAPHQL_PATH,
    PROMPTS,
    Probe,
    all_probes,
    persisted_body,
)
from foundry_waf import WebAclEvaluator
from foundry_waf.managed import CRS_BODY_RULES
from foundry_waf.statements import compile_regex

FIXTURES = Path(__file__).parents[3] / "waf" / "tests" / "fixtures"


def _acl(synth: SynthesizedEnvironment) -> dict[str, Any]:
    (acl,) = synth.edge.of_type("AWS::WAFv2::WebACL").values()
    properties: dict[str, Any] = acl["Properties"]
    return properties


def _old() -> WebAclEvaluator:
    return WebAclEvaluator(json.loads((FIXTURES / "web_acl_prod_before_issue_14.json").read_text()))


def _outcomes(acl: WebAclEvaluator) -> dict[str, tuple[Probe, str, str]]:
    probes = all_probes(web_operations(), body_inspection_limit=acl.context.body_limit)
    results = {}
    for index, probe in enumerate(probes):
        result = acl.evaluate(probe.request(client_ip=f"203.0.113.{index + 1}"))
        results[probe.name] = (probe, result.action, result.deciding)
    return results


def test_the_prod_fixture_is_the_synthesized_prod_web_acl(synths: dict[str, SynthesizedEnvironment]) -> None:
    # tools/tests/verify/test_live.py serves this fixture as GetWebACL's answer.
    assert json.loads((FIXTURES / "web_acl_prod.json").read_text()) == _acl(synths["prod"])


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_every_web_operation_is_served_and_introspection_refused(
    synths: dict[str, SynthesizedEnvironment], env: str
) -> None:
    outcomes = _outcomes(WebAclEvaluator(_acl(synths[env])))
    wrong = {
        name: (action, rule)
        for name, (probe, action, rule) in outcomes.items()
        if (probe.expect == "served") != (action == "ALLOW") and probe.expect != "api"
    }
    assert wrong == {}
    blocked_by = {rule for probe, action, rule in outcomes.values() if action == "BLOCK"}
    assert blocked_by == {"BlockGraphqlIntrospection"}
    # The six Relay operations: eight prompts for the ask, two uploads, one of each other.
    assert sum(probe.expect == "served" for probe, _, _ in outcomes.values()) >= 14
    # Hidden past the 16 KB inspection limit, introspection reaches the api (whose own rule refuses
    # it: twin/tests/test_edge_waf.py sends it there).
    (hidden,) = [(action, rule) for probe, action, rule in outcomes.values() if probe.expect == "api"]
    assert hidden == ("ALLOW", "DefaultAction")


def test_the_old_rule_blocks_the_web_app_and_misses_escaped_introspection() -> None:
    outcomes = _outcomes(_old())
    # The web app sends ids, so only a prompt that mentions __typename trips the old rule now.
    ask = "AiPanelAskMutation (prompt: {})"
    assert outcomes[ask.format("mentions __typename")][1:] == ("BLOCK", "BlockGraphqlIntrospection")
    assert outcomes[ask.format("short")][1] == "ALLOW"
    # An 8000-character prompt by id stays under the old size rule's 8 KB; 7000 Japanese characters do not.
    assert outcomes[ask.format("8000 characters")][1] == "ALLOW"
    assert outcomes[ask.format("7000 Japanese characters")][1:] == (
        "BLOCK",
        "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY",
    )
    assert outcomes["introspection: JSON-escaped \\u005f\\u005fschema"][1] == "ALLOW"


def test_dev_serves_the_web_app_and_leaves_introspection_to_the_api(
    synths: dict[str, SynthesizedEnvironment],
) -> None:
    outcomes = _outcomes(WebAclEvaluator(_acl(synths["dev"])))
    assert {action for _, action, _ in outcomes.values()} == {"ALLOW"}


def test_the_edge_passes_what_the_api_accepts(synths: dict[str, SynthesizedEnvironment]) -> None:
    """Up to the api's own body limit, a GraphQL body reaches the api: the api answers, not the edge."""
    acl = WebAclEvaluator(_acl(synths["prod"]))
    ask = web_operations()["AiPanelAskMutation"].document_id
    overhead = len(persisted_body(ask, {"prompt": ""}))
    for prompt in ("a" * (API_MAX_BODY_BYTES - overhead), "語" * ((API_MAX_BODY_BYTES - overhead) // 3)):
        probe = Probe(name="max body", body=persisted_body(ask, {"prompt": prompt}), expect="served")
        assert len(probe.body) <= API_MAX_BODY_BYTES
        assert acl.evaluate(probe.request()).action == "ALLOW"
    # Off /graphql the Core rule set's body rules still block: an 8 KB+ body elsewhere is refused.
    elsewhere = dataclasses.replace(
        Probe(name="elsewhere", body=b"x" * 9000, expect="blocked").request(), uri_path="/api/x"
    )
    result = acl.evaluate(elsewhere)
    assert result.deciding == "CoreRuleSetBodyRulesOffGraphql"
    assert result.counted == ("AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY",)
    assert GRAPHQL_PATH == infra_waf.GRAPHQL_PATH and "HTML" in PROMPTS


def test_the_rule_names_infra_overrides_are_the_core_rule_sets_body_rules() -> None:
    assert infra_waf.CRS_BODY_RULES == CRS_BODY_RULES


@pytest.mark.parametrize(
    ("document", "introspects"),
    [
        ("{ __schema { types { name } } }", True),
        ('{ __type(name: "X") { name } }', True),
        ('{ __type\n\t ,# c\n (name: "X") { name } }', True),
        ("{ viewer { id __typename } }", False),
        ("mutation { askAi(input: {prompt: $p}) { __typename ... on UserError { code } } }", False),
        ("{ __typename }", False),
    ],
)
def test_introspection_regex(document: str, introspects: bool) -> None:
    regex = infra_waf.INTROSPECTION_REGEX
    assert (compile_regex(regex).search(document.encode()) is not None) is introspects


def test_the_probes_import_neither_cdk_nor_infra() -> None:
    # `foundry verify` and the twin's tests share the probes; like the evaluator they read JSON only.
    import subprocess
    import sys

    code = (
        "import sys, foundry_tools.webapp.probes; "
        "bad = [m for m in sys.modules if m.startswith(('aws_cdk', 'foundry_infra', 'jsii'))]; "
        "assert not bad, bad"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
