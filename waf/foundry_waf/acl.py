"""A web ACL: its rules in priority order, their actions, managed groups and overrides.

How AWS WAF processes a web ACL
(https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html and
https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-rule-actions.html): rules run in
`Priority` order, lowest first; the first matching rule whose action is Allow or Block ends the
evaluation (a terminating action); Count records the match and goes on; when no rule terminates,
the web ACL's DefaultAction applies. A managed rule group runs its own rules in order; the group's
`OverrideAction` Count turns their terminating actions into Count, `RuleActionOverrides` replaces the
action of one named rule (https://docs.aws.amazon.com/waf/latest/APIReference/API_ManagedRuleGroupStatement.html),
and a `ScopeDownStatement` keeps the group away from requests that do not match it.

A rule the emulator cannot evaluate is treated as not matching and listed in
`Evaluation.not_emulated`, with whether its action could have decided the request.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from foundry_waf.errors import InvalidWebAclError, NotEmulatedError
from foundry_waf.fields import body_inspection_limit
from foundry_waf.labels import Labels
from foundry_waf.managed import ANY_MANAGED_LABEL, CATALOG, NAMESPACES
from foundry_waf.rate import RateTracker, rate_matches
from foundry_waf.request import WafRequest
from foundry_waf.statements import Context, compile_regex, matches

TERMINATING = ("Allow", "Block")
# A blocked request gets 403 unless the Block action names a custom response
# (https://repost.aws/knowledge-center/waf-block-respond-403-forbidden-error).
DEFAULT_BLOCK_STATUS = 403


@dataclass(frozen=True, kw_only=True)
class NotEmulatedRule:
    rule: str  # a custom rule's name, or "GroupRuleName/ManagedRuleName", or a whole group
    reason: str
    can_decide: bool  # False when its action is Count: it could not have changed the answer


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    action: str  # "ALLOW" or "BLOCK"
    rule: str | None  # the terminating rule, None when the default action applied
    status: int | None = None  # the block's HTTP status (403 unless a custom response says otherwise)
    counted: tuple[str, ...] = ()
    not_emulated: tuple[NotEmulatedRule, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.action == "BLOCK"

    @property
    def deciding(self) -> str:
        return self.rule or "DefaultAction"

    @property
    def undecided(self) -> tuple[str, ...]:
        """Rules not emulated whose action could have decided this request differently."""
        return tuple(item.rule for item in self.not_emulated if item.can_decide)


def _action_name(action: Mapping[str, Any]) -> str:
    if len(action) != 1:
        raise InvalidWebAclError(
            f"an action names exactly one of Allow, Block, Count, Captcha, Challenge: {action}"
        )
    return str(next(iter(action)))


def _statements(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every statement object nested in `statement`, itself included."""
    yield statement
    for body in statement.values():
        if not isinstance(body, Mapping):
            continue
        for key in ("Statement", "ScopeDownStatement"):
            if isinstance(body.get(key), Mapping):
                yield from _statements(body[key])
        for inner in body.get("Statements", []):
            yield from _statements(inner)


@dataclass
class _Walk:
    request: WafRequest
    labels: Labels = field(default_factory=Labels)
    counted: list[str] = field(default_factory=list)
    not_emulated: list[NotEmulatedRule] = field(default_factory=list)


class WebAclEvaluator:
    """Evaluates requests against one web ACL (`AWS::WAFv2::WebACL` properties / GetWebACL's WebACL).

    It keeps the rate-based rules' counts between requests; `clock` (seconds, monotonic) is
    injectable so a test can move past an evaluation window without sleeping.
    """

    def __init__(
        self,
        acl: Mapping[str, Any],
        *,
        regex_pattern_sets: Mapping[str, Sequence[str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.acl = acl
        self.name = str(acl.get("Name", "web ACL"))
        self.context = Context(
            body_limit=body_inspection_limit(acl), regex_pattern_sets=regex_pattern_sets or {}
        )
        self.rates = RateTracker(clock=clock)
        self.rules = sorted(acl.get("Rules", []), key=lambda rule: int(rule["Priority"]))
        self.default_action = _action_name(acl["DefaultAction"])
        self._validate()

    def _validate(self) -> None:
        """Refuse what CreateWebACL would refuse, so a broken ACL fails here and not at deploy."""
        names = [rule["Name"] for rule in self.rules]
        priorities = [int(rule["Priority"]) for rule in self.rules]
        if len(set(names)) != len(names) or len(set(priorities)) != len(priorities):
            raise InvalidWebAclError(
                f"{self.name}: rule names and priorities must be unique: {names}, {priorities}"
            )
        for rule in self.rules:
            statement = rule["Statement"]
            group = statement.get("ManagedRuleGroupStatement") or statement.get("RuleGroupReferenceStatement")
            if (group is None) == ("OverrideAction" in rule) or (group is None) != ("Action" in rule):
                raise InvalidWebAclError(
                    f"{rule['Name']}: a rule group takes OverrideAction, any other statement takes Action"
                )
            for inner in _statements(statement):
                for body in inner.values():
                    if isinstance(body, Mapping) and "RegexString" in body:
                        compile_regex(str(body["RegexString"]))
            if "ManagedRuleGroupStatement" in statement:
                self._validate_overrides(rule["Name"], statement["ManagedRuleGroupStatement"])

    @staticmethod
    def _validate_overrides(rule: str, group: Mapping[str, Any]) -> None:
        catalog = CATALOG.get((group["VendorName"], group["Name"]))
        if catalog is None:
            return
        known = {managed.name for managed in catalog}
        named = [o["Name"] for o in group.get("RuleActionOverrides", [])] + [
            e["Name"] for e in group.get("ExcludedRules", [])
        ]
        unknown = sorted(set(named) - known)
        if unknown:
            raise InvalidWebAclError(
                f"{rule}: {group['Name']} has no rule {', '.join(unknown)} (its rules: {', '.join(sorted(known))})"
            )

    def evaluate(self, request: WafRequest) -> Evaluation:
        walk = _Walk(request)
        for rule in self.rules:
            decided = self._rule(rule, walk)
            if decided is not None:
                return decided
        return self._finish(walk, self.default_action.upper(), None, None)

    def _finish(
        self, walk: _Walk, action: str, rule: str | None, block: Mapping[str, Any] | None
    ) -> Evaluation:
        status = None
        if action == "BLOCK":
            custom = (block or {}).get("CustomResponse") or {}
            status = int(custom.get("ResponseCode", DEFAULT_BLOCK_STATUS))
        return Evaluation(
            action=action,
            rule=rule,
            status=status,
            counted=tuple(walk.counted),
            not_emulated=tuple(walk.not_emulated),
        )

    def _rule(self, rule: Mapping[str, Any], walk: _Walk) -> Evaluation | None:
        name, statement = str(rule["Name"]), rule["Statement"]
        if "ManagedRuleGroupStatement" in statement:
            return self._managed_group(rule, statement["ManagedRuleGroupStatement"], walk)
        if "RuleGroupReferenceStatement" in statement:
            counts = "Count" in rule["OverrideAction"]
            walk.labels.may_have("awswaf:", rule=name)
            walk.not_emulated.append(
                NotEmulatedRule(rule=name, reason="rule group reference", can_decide=not counts)
            )
            return None
        action = _action_name(rule["Action"])
        rule_labels = [str(label["Name"]) for label in rule.get("RuleLabels", [])]
        try:
            if "RateBasedStatement" in statement:
                matched = rate_matches(
                    statement["RateBasedStatement"],
                    walk.request,
                    self.context,
                    rule=name,
                    tracker=self.rates,
                    labels=walk.labels,
                )
            else:
                matched = matches(statement, walk.request, self.context, walk.labels)
        except NotEmulatedError as error:
            walk.not_emulated.append(
                NotEmulatedRule(rule=name, reason=str(error), can_decide=action != "Count")
            )
            for label in rule_labels:
                walk.labels.may_have(label, rule=name)
            return None
        if matched:
            for label in rule_labels:
                walk.labels.add(label)
        return self._apply(name, action, rule["Action"].get(action), matched, walk)

    def _apply(
        self, name: str, action: str, settings: Mapping[str, Any] | None, matched: bool, walk: _Walk
    ) -> Evaluation | None:
        if not matched:
            return None
        if action in TERMINATING:
            return self._finish(walk, action.upper(), name, settings)
        if action == "Count":
            walk.counted.append(name)
            return None
        # Captcha and Challenge depend on a browser's token: not emulated, reported.
        walk.not_emulated.append(NotEmulatedRule(rule=name, reason=f"{action} action", can_decide=True))
        return None

    def _managed_group(
        self, rule: Mapping[str, Any], group: Mapping[str, Any], walk: _Walk
    ) -> Evaluation | None:
        name = str(rule["Name"])
        key = (str(group["VendorName"]), str(group["Name"]))
        group_counts = "Count" in rule["OverrideAction"]
        scope_down = group.get("ScopeDownStatement")
        catalog = CATALOG.get(key)
        try:
            if scope_down is not None and not matches(scope_down, walk.request, self.context, walk.labels):
                return None  # the group does not see this request at all
        except NotEmulatedError as error:
            walk.labels.may_have(NAMESPACES.get(key, ANY_MANAGED_LABEL), rule=name)
            walk.not_emulated.append(
                NotEmulatedRule(rule=name, reason=f"scope-down: {error}", can_decide=not group_counts)
            )
            return None
        if catalog is None:
            walk.labels.may_have(NAMESPACES.get(key, ANY_MANAGED_LABEL), rule=name)
            walk.not_emulated.append(
                NotEmulatedRule(
                    rule=name,
                    reason=f"managed rule group {key[0]}/{key[1]} (its lists and signatures are AWS's)",
                    can_decide=not group_counts,
                )
            )
            return None
        overrides = {o["Name"]: o["ActionToUse"] for o in group.get("RuleActionOverrides", [])}
        overrides.update({e["Name"]: {"Count": {}} for e in group.get("ExcludedRules", [])})
        for managed in catalog:
            chosen = overrides.get(managed.name, {managed.action: {}})
            action = "Count" if group_counts else _action_name(chosen)
            label = f"{name}/{managed.name}"
            if managed.emulate is None:
                walk.labels.may_have(managed.label, rule=label)
                walk.not_emulated.append(
                    NotEmulatedRule(
                        rule=label, reason="signatures AWS does not publish", can_decide=action != "Count"
                    )
                )
                continue
            matched = managed.emulate(walk.request)
            if matched:
                walk.labels.add(managed.label)  # whatever the action: a counted rule labels too
            decided = self._apply(label, action, chosen.get(action), matched, walk)
            if decided is not None:
                return decided
        return None
