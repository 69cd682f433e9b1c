"""AWS managed rule groups: only what AWS documents exactly is emulated; the rest is reported.

AWS publishes what each rule of its Core rule set inspects, and for the size restrictions the exact
thresholds (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
"Core rule set (CRS) managed rule group", all rules' action Block):

- NoUserAgent_HEADER: "Inspects for requests that are missing the HTTP User-Agent header."
- SizeRestrictions_QUERYSTRING: "URI query strings that are over 2,048 bytes."
- SizeRestrictions_Cookie_HEADER: "cookie headers that are over 10,240 bytes."
- SizeRestrictions_BODY: "request bodies that are over 8 KB (8,192 bytes)."
- SizeRestrictions_URIPATH: "URI paths that are over 1,024 bytes."

Every other rule (cross-site scripting, LFI, RFI, EC2 metadata SSRF, bad bots, restricted
extensions) matches signatures AWS does not publish, so it is not emulated; nor are the IP reputation
and known-bad-inputs groups (their lists and signatures are AWS's). The evaluator reports each of them
by name, never passes them silently.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from foundry_tools.waf.request import WafRequest

CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"


@dataclass(frozen=True, kw_only=True)
class ManagedRule:
    name: str
    # None: AWS does not document the rule closely enough to reproduce it.
    emulate: Callable[[WafRequest], bool] | None = None
    action: str = "Block"


def _over(limit: int, size: Callable[[WafRequest], int]) -> Callable[[WafRequest], bool]:
    return lambda request: size(request) > limit


def _cookie_bytes(request: WafRequest) -> int:
    return sum(len(value.encode("latin-1", "replace")) for value in request.header_values("cookie"))


_CRS_RULES = (
    ManagedRule(name="NoUserAgent_HEADER", emulate=lambda request: not request.header_values("user-agent")),
    ManagedRule(name="UserAgent_BadBots_HEADER"),
    ManagedRule(
        name="SizeRestrictions_QUERYSTRING", emulate=_over(2048, lambda r: len(r.query_string.encode()))
    ),
    ManagedRule(name="SizeRestrictions_Cookie_HEADER", emulate=_over(10_240, _cookie_bytes)),
    ManagedRule(name="SizeRestrictions_BODY", emulate=_over(8192, lambda r: len(r.body))),
    ManagedRule(name="SizeRestrictions_URIPATH", emulate=_over(1024, lambda r: len(r.uri_path.encode()))),
    ManagedRule(name="EC2MetaDataSSRF_BODY"),
    ManagedRule(name="EC2MetaDataSSRF_COOKIE"),
    ManagedRule(name="EC2MetaDataSSRF_URIPATH"),
    ManagedRule(name="EC2MetaDataSSRF_QUERYARGUMENTS"),
    ManagedRule(name="GenericLFI_QUERYARGUMENTS"),
    ManagedRule(name="GenericLFI_URIPATH"),
    ManagedRule(name="GenericLFI_BODY"),
    ManagedRule(name="RestrictedExtensions_URIPATH"),
    ManagedRule(name="RestrictedExtensions_QUERYARGUMENTS"),
    ManagedRule(name="GenericRFI_QUERYARGUMENTS"),
    ManagedRule(name="GenericRFI_BODY"),
    ManagedRule(name="GenericRFI_URIPATH"),
    ManagedRule(name="CrossSiteScripting_COOKIE"),
    ManagedRule(name="CrossSiteScripting_QUERYARGUMENTS"),
    ManagedRule(name="CrossSiteScripting_BODY"),
    ManagedRule(name="CrossSiteScripting_URIPATH"),
)

# Groups whose rules are known here, in the order AWS documents (and evaluates) them. A group not
# listed is reported as a whole.
CATALOG: Mapping[tuple[str, str], tuple[ManagedRule, ...]] = {("AWS", CORE_RULE_SET): _CRS_RULES}

# The CRS rules that inspect the body: the ones a GraphQL api with its own limits overrides to Count.
CRS_BODY_RULES = tuple(rule.name for rule in _CRS_RULES if rule.name.endswith("_BODY"))
