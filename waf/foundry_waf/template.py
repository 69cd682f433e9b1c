"""Web ACLs in a synthesized CloudFormation template, with the regex pattern sets they reference."""

from collections.abc import Callable, Mapping
from typing import Any

from foundry_waf.acl import WebAclEvaluator


def web_acls_in_template(
    template: Mapping[str, Any], *, clock: Callable[[], float] | None = None
) -> dict[str, WebAclEvaluator]:
    """One evaluator per `AWS::WAFv2::WebACL` resource, keyed by logical id.

    A `RegexPatternSetReferenceStatement` in a template names its set with
    {"Fn::GetAtt": [LOGICAL_ID, "Arn"]}: the set's `RegularExpressionList` is read from the same
    template.
    """
    resources: Mapping[str, Any] = template.get("Resources", {})
    pattern_sets = {
        logical: [str(entry) for entry in resource["Properties"].get("RegularExpressionList", [])]
        for logical, resource in resources.items()
        if resource.get("Type") == "AWS::WAFv2::RegexPatternSet"
    }
    extra = {} if clock is None else {"clock": clock}
    return {
        logical: WebAclEvaluator(resource["Properties"], regex_pattern_sets=pattern_sets, **extra)
        for logical, resource in resources.items()
        if resource.get("Type") == "AWS::WAFv2::WebACL"
    }
