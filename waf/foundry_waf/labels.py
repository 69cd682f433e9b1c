"""Labels: what rules that matched (Count included) add to a request, for later LabelMatchStatements.

https://docs.aws.amazon.com/waf/latest/developerguide/waf-labels.html: a rule adds its labels when it
matches, whatever its action (a rule overridden to Count still labels the request), and a
LabelMatchStatement in a later rule matches a label by its full name (Scope LABEL) or by a namespace
prefix ending in ':' (Scope NAMESPACE)
(https://docs.aws.amazon.com/waf/latest/APIReference/API_LabelMatchStatement.html). A label a rule
that is not emulated might have added cannot be decided: that is reported, never guessed.
"""

from dataclasses import dataclass, field

from foundry_waf.errors import InvalidWebAclError, NotEmulatedError


@dataclass
class Labels:
    present: set[str] = field(default_factory=set)
    # a label or a namespace (ending in ':') -> the rule, not emulated, that may have added it
    unknown: dict[str, str] = field(default_factory=dict)

    def add(self, label: str) -> None:
        self.present.add(label)

    def may_have(self, label_or_namespace: str, *, rule: str) -> None:
        self.unknown.setdefault(label_or_namespace, rule)

    def matches(self, *, scope: str, key: str) -> bool:
        if scope == "LABEL":
            # A rule's own labels may be named without their web ACL namespace prefix.
            if any(label == key or label.endswith(":" + key) for label in self.present):
                return True
            hits = [
                rule
                for name, rule in self.unknown.items()
                if name == key or (name.endswith(":") and key.startswith(name))
            ]
        elif scope == "NAMESPACE":
            if not key.endswith(":"):
                raise InvalidWebAclError(f"LabelMatchStatement NAMESPACE key {key!r} must end with ':'")
            if any(label.startswith(key) for label in self.present):
                return True
            hits = [
                rule for name, rule in self.unknown.items() if name.startswith(key) or key.startswith(name)
            ]
        else:
            raise InvalidWebAclError(f"LabelMatchStatement Scope {scope!r} is not LABEL or NAMESPACE")
        if hits:
            raise NotEmulatedError(f"label {key} would come from {hits[0]}, which is not emulated")
        return False
