"""cdk-nag wiring: the AwsSolutions pack over the whole app, and acknowledgments that carry a reason.

Acknowledge on the narrowest construct (a role's default policy, one bucket), never on a stack or the
app, and always with a sentence saying why the rule does not apply.
"""

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag(app: App) -> AwsSolutionsChecks:
    pack = AwsSolutionsChecks(app, verbose=True)
    Validations.of(app).add_plugins(pack)
    return pack


def acknowledge(construct: IConstruct, rule: str, *, reason: str) -> None:
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledgment of {rule} on {construct.node.path} needs a real reason")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
