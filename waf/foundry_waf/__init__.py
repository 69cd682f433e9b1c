"""AWS WAF (v2) web ACLs evaluated as AWS evaluates them, from the JSON CloudFormation receives.

One evaluator, shared by the local twin's edge and `foundry verify`: `WebAclEvaluator` takes the
`AWS::WAFv2::WebACL` properties (as synthesized, or as `GetWebACL` returns them) and answers, for a
`WafRequest`, the action, the rule that decided it, and every rule it could not emulate.

This package imports neither aws-cdk-lib nor foundry_infra: it reads JSON only.

Modules, one concern each: `request` (what WAF sees of a request), `transformations`
(TextTransformations), `fields` (FieldToMatch, with body inspection limits), `statements` (rule
statements), `managed` (what AWS documents of its managed rule groups), `rate` (rate-based rules),
`acl` (rule order, actions, overrides: the web ACL itself) and `template` (finding web ACLs in a
synthesized template).
"""

from foundry_waf.acl import Evaluation, NotEmulatedRule, WebAclEvaluator
from foundry_waf.request import WafRequest
from foundry_waf.template import web_acls_in_template

__all__ = ["Evaluation", "NotEmulatedRule", "WafRequest", "WebAclEvaluator", "web_acls_in_template"]
