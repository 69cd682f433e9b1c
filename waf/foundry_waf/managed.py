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

from foundry_waf.request import WafRequest

CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"


@dataclass(frozen=True, kw_only=True)
class ManagedRule:
    name: str
    label: str  # the label AWS documents for the rule ("Label:" on the group's page)
    # None: AWS does not document the rule closely enough to reproduce it.
    emulate: Callable[[WafRequest], bool] | None = None
    action: str = "Block"


def _over(limit: int, size: Callable[[WafRequest], int]) -> Callable[[WafRequest], bool]:
    return lambda request: size(request) > limit


def _cookie_bytes(request: WafRequest) -> int:
    return sum(len(value.encode("latin-1", "replace")) for value in request.header_values("cookie"))


CRS_NAMESPACE = "awswaf:managed:aws:core-rule-set:"
# (rule name, label name, emulation), in the order of AWS's table.
_CRS = (
    ("NoUserAgent_HEADER", "NoUserAgent_Header", lambda request: not request.header_values("user-agent")),
    ("UserAgent_BadBots_HEADER", "BadBots_Header", None),
    (
        "SizeRestrictions_QUERYSTRING",
        "SizeRestrictions_QueryString",
        _over(2048, lambda r: len(r.query_string.encode())),
    ),
    ("SizeRestrictions_Cookie_HEADER", "SizeRestrictions_Cookie_Header", _over(10_240, _cookie_bytes)),
    ("SizeRestrictions_BODY", "SizeRestrictions_Body", _over(8192, lambda r: len(r.body))),
    ("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", _over(1024, lambda r: len(r.uri_path.encode()))),
    ("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", None),
    ("EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie", None),
    ("EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", None),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_QueryArguments", None),
    ("GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", None),
    ("GenericLFI_URIPATH", "GenericLFI_URIPath", None),
    ("GenericLFI_BODY", "GenericLFI_Body", None),
    ("RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath", None),
    ("RestrictedExtensions_QUERYARGUMENTS", "RestrictedExtensions_QueryArguments", None),
    ("GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", None),
    ("GenericRFI_BODY", "GenericRFI_Body", None),
    ("GenericRFI_URIPATH", "GenericRFI_URIPath", None),
    ("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", None),
    ("CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments", None),
    ("CrossSiteScripting_BODY", "CrossSiteScripting_Body", None),
    ("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", None),
)
_CRS_RULES = tuple(
    ManagedRule(name=name, label=CRS_NAMESPACE + label, emulate=emulate) for name, label, emulate in _CRS
)

# Groups whose rules are known here, in the order AWS documents (and evaluates) them. A group not
# listed is reported as a whole.
CATALOG: Mapping[tuple[str, str], tuple[ManagedRule, ...]] = {("AWS", CORE_RULE_SET): _CRS_RULES}
# The label namespaces of the groups that are not emulated (their pages name them): a label match on
# one of these cannot be decided. Any other managed group may add any "awswaf:managed:" label.
NAMESPACES: Mapping[tuple[str, str], str] = {
    ("AWS", "AWSManagedRulesAmazonIpReputationList"): "awswaf:managed:aws:amazon-ip-list:",
    ("AWS", "AWSManagedRulesKnownBadInputsRuleSet"): "awswaf:managed:aws:known-bad-inputs:",
}
ANY_MANAGED_LABEL = "awswaf:managed:"

# The CRS rules that inspect the body, with their labels: the ones a GraphQL api with its own limits
# sets to Count on its path.
CRS_BODY_RULES: Mapping[str, str] = {
    rule.name: rule.label for rule in _CRS_RULES if rule.name.endswith("_BODY")
}
