"""Weak references from the edge stack (us-east-1) to the platform stack: the web ACL's and the
certificate's ARNs, published as SSM parameters and read by name.

A CloudFormation export cannot change while another stack imports it, and CDK's cross-region
references (crossRegionReferences) refuse the same change in their writer. A new `edge.domain_name`
replaces the certificate, so either form failed the edge stack's update with "export in use".
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html

Here the edge stack writes a parameter per value, and the platform reads it through a CloudFormation
parameter of type AWS::SSM::Parameter::Value<String>; nothing binds the two stacks, so the edge
updates freely (the deploy order is edge, then platform).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-supplied-parameter-types.html#aws-ssm-parameter-types

A value that changes gets a new parameter name: the certificate's name carries the domain it is for.
`cdk deploy` passes UsePreviousValue for parameters a stack already has, and a changed value behind
an unchanged name is not reliably picked up (https://github.com/aws/aws-cdk/issues/8888,
https://github.com/aws/aws-cdk/issues/20377); a new name is a new template parameter, which
CloudFormation resolves on the platform's next deploy. The web ACL's ARN never changes (its name is
fixed per environment), so its name does not need to.
The certificate it replaces stays in ACM while CloudFront still serves it: CloudFormation's cleanup
cannot delete a certificate in use and leaves it; delete it once the platform has moved.

SSM parameters are regional and a stack's parameters resolve in its own region, so when the platform
runs outside us-east-1 the edge stack also writes each value into the platform's region through an
SDK call (putParameter on create and update, deleteParameter on delete).
"""

from aws_cdk import Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from foundry_infra.checkov import skip_checkov
from foundry_infra.nag import acknowledge

WEB_ACL_ARN = "web-acl-arn"
CERTIFICATE_ARN = "certificate-arn"


def parameter_name(*, environment: str, key: str) -> str:
    return f"/foundry/{environment}/edge/{key}"


def certificate_key(*, domain_name: str) -> str:
    """The certificate's parameter, per domain: a new domain is a new certificate and a new name."""
    return f"{CERTIFICATE_ARN}/{domain_name}"


class EdgeReferences(Construct):
    """In the edge stack: one SSM parameter per value, in us-east-1 and in the platform's region.
    `values` maps each parameter's key (its name below /foundry/ENV/edge/) to its value."""

    def __init__(
        self, scope: Construct, id_: str, *, environment: str, platform_region: str, values: dict[str, str]
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.parameters = {
            key: ssm.StringParameter(
                self,
                _construct_id(key),
                parameter_name=parameter_name(environment=environment, key=key),
                string_value=value,
                description=f"Foundry {environment}: the edge stack's {key}, read by name by the platform stack",
            )
            for key, value in values.items()
        }
        if platform_region == stack.region:
            return
        for key, value in values.items():
            name = parameter_name(environment=environment, key=key)
            resources = [f"arn:{stack.partition}:ssm:{platform_region}:{stack.account}:parameter{name}"]
            put = cr.AwsSdkCall(
                service="SSM",
                action="putParameter",
                region=platform_region,
                parameters={"Name": name, "Value": value, "Type": "String", "Overwrite": True},
                physical_resource_id=cr.PhysicalResourceId.of(name),
            )
            cr.AwsCustomResource(
                self,
                f"{_construct_id(key)}-in-{platform_region}",
                resource_type="Custom::EdgeParameterCopy",
                on_create=put,
                on_update=put,
                on_delete=cr.AwsSdkCall(
                    service="SSM",
                    action="deleteParameter",
                    region=platform_region,
                    parameters={"Name": name},
                    ignore_error_codes_matching="ParameterNotFound",
                ),
                policy=cr.AwsCustomResourcePolicy.from_statements(
                    [
                        iam.PolicyStatement(
                            actions=["ssm:PutParameter", "ssm:DeleteParameter"], resources=resources
                        )
                    ]
                ),
                install_latest_aws_sdk=False,
            )
        self._explain_provider(stack)

    def _explain_provider(self, stack: Stack) -> None:
        # AwsCustomResource runs one CDK-owned Lambda (a singleton per stack) for the SDK calls above.
        provider = stack.node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
        if provider is None:
            return
        function = provider.node.try_find_child("Resource")
        if function is not None:
            for check_id, reason in (
                (
                    "CKV_AWS_115",
                    "CDK's deploy-time handler for the SSM copy; it runs once per deploy, so a "
                    "concurrency limit buys nothing.",
                ),
                (
                    "CKV_AWS_116",
                    "CDK's deploy-time handler: CloudFormation retries and reports a failure; a DLQ "
                    "adds nothing.",
                ),
                (
                    "CKV_AWS_117",
                    "CDK's deploy-time handler calls only the SSM API in another region; it has "
                    "nothing to reach inside a VPC.",
                ),
            ):
                skip_checkov(function, check_id, reason=reason)
        role = provider.node.try_find_child("ServiceRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                reason="AWS's basic execution policy only lets CDK's deploy-time handler write its own "
                "log stream; the SSM statements are scoped to this environment's edge parameters.",
            )
        if function is not None:
            acknowledge(
                function,
                "AwsSolutions-L1",
                reason="CDK pins the runtime of its own AwsCustomResource handler; it runs only at deploy.",
            )


def read(scope: Construct, *, environment: str, key: str) -> str:
    """In the platform stack: the value, by parameter name (no export, no import)."""
    return ssm.StringParameter.value_for_string_parameter(
        scope, parameter_name(environment=environment, key=key)
    )


def certificate(scope: Construct, id_: str, *, environment: str, domain_name: str) -> acm.ICertificate:
    """In the platform stack: the edge certificate for a domain, by the ARN its parameter holds."""
    return acm.Certificate.from_certificate_arn(
        scope, id_, read(scope, environment=environment, key=certificate_key(domain_name=domain_name))
    )


def _construct_id(key: str) -> str:
    # The certificate's key holds a "/" (before the domain), which a construct id cannot.
    return key.split("/", 1)[0]
