"""Where alarms go (spec §10, §14): a KMS-encrypted SNS topic with the profile's e-mail subscribed."""

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from foundry_infra.security.keys import ALERT_PUBLISHERS, alerts_key


class AlarmTopic(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, name: str, alias_prefix: str, email: str | None
    ) -> None:
        super().__init__(scope, id_)
        self.key = alerts_key(self, "Key", alias=f"alias/{alias_prefix}/alerts")
        self.topic = sns.Topic(
            self, "Topic", topic_name=name, display_name=name, master_key=self.key, enforce_ssl=True
        )
        # A topic policy replaces SNS's default one, so every publisher is listed, each pinned to
        # this account (confused-deputy guard).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlertPublishers",
                principals=[iam.ServicePrincipal(service) for service in ALERT_PUBLISHERS],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
