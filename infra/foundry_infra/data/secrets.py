"""Application secrets in Secrets Manager (spec §6): every sensitive value a service needs."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from foundry_infra.nag import acknowledge

_MANUAL_ROTATION = (
    "Rotated by the runbook in docs/runbooks.md (section 'Rotate application secrets'): the value belongs "
    "to {owner} and no Secrets Manager rotation function can change it there."
)


class AppSecrets(Construct):
    def __init__(self, scope: Construct, id_: str, *, key: kms.IKey, prefix: str) -> None:
        super().__init__(scope, id_)
        # Third-party keys: created with a random placeholder; the operator puts the real value.
        self.clerk_secret_key = self._secret(
            "ClerkSecretKey", name=f"{prefix}/clerk-secret-key", key=key, owner="Clerk"
        )
        self.ai_provider_key = self._secret(
            "AiProviderKey", name=f"{prefix}/ai-provider-key", key=key, owner="the AI provider"
        )
        # Keys shared between our own components: generated here, long and random.
        self.internal_api_key = self._secret(
            "InternalApiKey", name=f"{prefix}/internal-api-key", key=key, owner="api and ai together"
        )
        self.origin_verify = self._secret(
            "OriginVerify", name=f"{prefix}/origin-verify", key=key, owner="CloudFront and api together"
        )

    def _secret(self, id_: str, *, name: str, key: kms.IKey, owner: str) -> sm.Secret:
        secret = sm.Secret(
            self,
            id_,
            secret_name=name,
            encryption_key=key,
            generate_secret_string=sm.SecretStringGenerator(
                password_length=48, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(secret, "AwsSolutions-SMG4", reason=_MANUAL_ROTATION.format(owner=owner))
        return secret
