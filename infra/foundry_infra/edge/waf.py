"""The CloudFront web ACL (spec §1, §13): rate limit, IP reputation, common rules, known bad inputs,
and in staging/prod a block on GraphQL introspection."""

from aws_cdk import aws_wafv2 as waf
from constructs import Construct

from foundry_infra.config.model import WafConfig

_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)


def _visibility(metric: str) -> waf.CfnWebACL.VisibilityConfigProperty:
    return waf.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _body_contains(text: str) -> waf.CfnWebACL.StatementProperty:
    return waf.CfnWebACL.StatementProperty(
        byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=waf.CfnWebACL.FieldToMatchProperty(
                body=waf.CfnWebACL.BodyProperty(oversize_handling="MATCH")
            ),
            positional_constraint="CONTAINS",
            search_string=text,
            text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def introspection_rule(*, priority: int) -> waf.CfnWebACL.RuleProperty:
    on_graphql = waf.CfnWebACL.StatementProperty(
        byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string="/graphql",
            text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")],
        )
    )
    asks_schema = waf.CfnWebACL.StatementProperty(
        or_statement=waf.CfnWebACL.OrStatementProperty(
            statements=[_body_contains("__schema"), _body_contains("__type")]
        )
    )
    return waf.CfnWebACL.RuleProperty(
        name="BlockGraphqlIntrospection",
        priority=priority,
        action=waf.CfnWebACL.RuleActionProperty(block={}),
        statement=waf.CfnWebACL.StatementProperty(
            and_statement=waf.CfnWebACL.AndStatementProperty(statements=[on_graphql, asks_schema])
        ),
        visibility_config=_visibility("BlockGraphqlIntrospection"),
    )


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
            *(
                waf.CfnWebACL.RuleProperty(
                    name=group,
                    priority=index,
                    override_action=waf.CfnWebACL.OverrideActionProperty(none={}),
                    statement=waf.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=waf.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name=group
                        )
                    ),
                    visibility_config=_visibility(group),
                )
                for index, group in enumerate(_MANAGED_RULE_GROUPS, start=1)
            ),
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
