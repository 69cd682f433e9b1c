"""The CloudFront web ACL (spec §1, §13): rate limit, IP reputation, common rules, known bad inputs,
and in staging/prod a block on GraphQL introspection.

Every rule here is evaluated as AWS WAF evaluates it by `foundry_waf` (the twin's edge applies
it, `foundry verify` checks it lets every web app operation through): change a rule, run those tests.
"""

from aws_cdk import aws_wafv2 as waf
from constructs import Construct

from foundry_infra.config.model import WafConfig

GRAPHQL_PATH = "/graphql"  # the api behavior's GraphQL endpoint (foundry_contract.API_PATH_PATTERNS)
CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"
CORE_RULE_SET_BODY_OFF_GRAPHQL = "CoreRuleSetBodyRulesOffGraphql"
# The Core rule set's rules that inspect the body
# (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html).
# The group runs once with these rules set to Count (they still label what they match), and the next
# rule blocks on those labels everywhere but /graphql: AWS's documented way to exempt one path from
# a managed rule (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-label-match.html,
# https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-label-match-examples.html), at the
# group's 700 WCU once (a second, scoped-down copy of the group would take the ACL past 1,500 WCU,
# which AWS bills extra). On /graphql they only count: SizeRestrictions_BODY blocks any body over 8 KB (8,192 bytes, fixed),
# while the api accepts prompts of 8,000 characters (24,000 bytes in a 3-byte script) and bodies up
# to 64 KiB; the XSS/LFI/RFI/SSRF signatures match the HTML, code and paths users paste into a
# prompt. The api enforces its own body (64 KiB), prompt, depth, alias and token limits and answers
# with its own error (services/api/foundry_api/main.py, core/graphql.py), and it never renders a
# prompt as HTML. Everywhere else they block as AWS ships them.
# rule name -> the label AWS documents for it (same page, "Label:").
CRS_BODY_RULES = {
    "SizeRestrictions_BODY": "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
    "EC2MetaDataSSRF_BODY": "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
    "GenericLFI_BODY": "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
    "GenericRFI_BODY": "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
    "CrossSiteScripting_BODY": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
}
# Introspection asks for `__schema` or calls `__type(...)`. GraphQL ignores white space, line
# terminators, commas and comments between tokens (https://spec.graphql.org/October2021/#sec-Language.Source-Text.Ignored-Tokens),
# so any of them may sit between `__type` and `(`; `__typename` (which Relay-style clients select
# on every union) never matches. No capturing group: AWS WAF refuses them
# (https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html).
INTROSPECTION_REGEX = r"__schema|__type(?:[\s,]|#[^\n\r]*)*\("

_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    CORE_RULE_SET,
    "AWSManagedRulesKnownBadInputsRuleSet",
)


def _visibility(metric: str) -> waf.CfnWebACL.VisibilityConfigProperty:
    return waf.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _on_graphql() -> waf.CfnWebACL.StatementProperty:
    # WAF sees the path as the viewer sent it; CloudFront resolves dot segments before it picks the
    # behavior, so NORMALIZE_PATH makes `/x/../graphql` the api's path here too.
    return waf.CfnWebACL.StatementProperty(
        byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="EXACTLY",
            search_string=GRAPHQL_PATH,
            text_transformations=[
                waf.CfnWebACL.TextTransformationProperty(priority=0, type="NORMALIZE_PATH")
            ],
        )
    )


def introspection_rule(*, priority: int) -> waf.CfnWebACL.RuleProperty:
    # JsonBody parses the body, so JSON escapes (\u005f\u005fschema) are decoded before the match,
    # and IncludedPaths ["/query"] inspects the GraphQL document only, never the variables a prompt
    # travels in (https://docs.aws.amazon.com/waf/latest/APIReference/API_JsonBody.html). A body that
    # is not JSON is matched as text (EVALUATE_AS_STRING). Past CloudFront's 16 KB inspection limit
    # (https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html) WAF sees the first 16 KB
    # only (CONTINUE): blocking oversize bodies would block long prompts; the api's own
    # no-introspection rule refuses what hides beyond the limit.
    asks_schema = waf.CfnWebACL.StatementProperty(
        regex_match_statement=waf.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=waf.CfnWebACL.FieldToMatchProperty(
                json_body=waf.CfnWebACL.JsonBodyProperty(
                    match_pattern=waf.CfnWebACL.JsonMatchPatternProperty(included_paths=["/query"]),
                    match_scope="VALUE",
                    invalid_fallback_behavior="EVALUATE_AS_STRING",
                    oversize_handling="CONTINUE",
                )
            ),
            regex_string=INTROSPECTION_REGEX,
            text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    return waf.CfnWebACL.RuleProperty(
        name="BlockGraphqlIntrospection",
        priority=priority,
        action=waf.CfnWebACL.RuleActionProperty(block={}),
        statement=waf.CfnWebACL.StatementProperty(
            and_statement=waf.CfnWebACL.AndStatementProperty(statements=[_on_graphql(), asks_schema])
        ),
        visibility_config=_visibility("BlockGraphqlIntrospection"),
    )


def _managed_group(*, name: str, priority: int, count: tuple[str, ...] = ()) -> waf.CfnWebACL.RuleProperty:
    return waf.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=waf.CfnWebACL.OverrideActionProperty(none={}),
        statement=waf.CfnWebACL.StatementProperty(
            managed_rule_group_statement=waf.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    waf.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=waf.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in count
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def crs_body_rules_off_graphql(*, priority: int) -> waf.CfnWebACL.RuleProperty:
    """Block what the Core rule set's body rules matched (and only counted), except on /graphql."""
    labelled = waf.CfnWebACL.StatementProperty(
        or_statement=waf.CfnWebACL.OrStatementProperty(
            statements=[
                waf.CfnWebACL.StatementProperty(
                    label_match_statement=waf.CfnWebACL.LabelMatchStatementProperty(scope="LABEL", key=label)
                )
                for label in CRS_BODY_RULES.values()
            ]
        )
    )
    off_graphql = waf.CfnWebACL.StatementProperty(
        not_statement=waf.CfnWebACL.NotStatementProperty(statement=_on_graphql())
    )
    return waf.CfnWebACL.RuleProperty(
        name=CORE_RULE_SET_BODY_OFF_GRAPHQL,
        priority=priority,
        action=waf.CfnWebACL.RuleActionProperty(block={}),
        # The path first: on /graphql the rule is decided without looking at a label.
        statement=waf.CfnWebACL.StatementProperty(
            and_statement=waf.CfnWebACL.AndStatementProperty(statements=[off_graphql, labelled])
        ),
        visibility_config=_visibility(CORE_RULE_SET_BODY_OFF_GRAPHQL),
    )


def managed_rules(*, first_priority: int) -> list[waf.CfnWebACL.RuleProperty]:
    """The managed groups, the Core rule set's body rules counting, then blocking off /graphql."""
    rules: list[waf.CfnWebACL.RuleProperty] = []
    for group in _MANAGED_RULE_GROUPS:
        priority = first_priority + len(rules)
        if group != CORE_RULE_SET:
            rules.append(_managed_group(name=group, priority=priority))
            continue
        rules.append(_managed_group(name=group, priority=priority, count=tuple(CRS_BODY_RULES)))
        rules.append(crs_body_rules_off_graphql(priority=priority + 1))
    return rules


class EdgeWebAcl(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: WafConfig, name: str) -> None:
        super().__init__(scope, id_)
        rules = [
            waf.CfnWebACL.RuleProperty(
                name="RateLimitPerIp",
                priority=0,
                action=waf.CfnWebACL.RuleActionProperty(block={}),
                statement=waf.CfnWebACL.StatementProperty(
                    rate_based_statement=waf.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP", limit=config.rate_limit, evaluation_window_sec=300
                    )
                ),
                visibility_config=_visibility("RateLimitPerIp"),
            ),
            *managed_rules(first_priority=1),
        ]
        if config.block_introspection:
            rules.append(introspection_rule(priority=len(rules)))
        self.web_acl = waf.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="CLOUDFRONT",
            default_action=waf.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=rules,
        )

    @property
    def arn(self) -> str:
        return self.web_acl.attr_arn
