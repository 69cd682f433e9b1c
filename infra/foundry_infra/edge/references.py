"""Weak references between the stacks in us-east-1 and the platform stack: values published as SSM
parameters by the stack that makes them and read by name by the stack that needs them. Two directions:

- edge → platform: the web ACL's and the certificate's ARNs, made in us-east-1 for CloudFront
  (stacks/edge_global.py writes, the platform reads; the edge deploys first);
- platform → edge alarms: the distribution's id and domain name, which the CloudFront 5xx alarm and
  the site health check need in us-east-1 when the platform runs elsewhere (the platform writes,
  stacks/edge_alarms.py reads; the platform deploys first).

A CloudFormation export cannot change while another stack imports it, and CDK's cross-region
references (crossRegionReferences) refuse the same change in their writer. A new `edge.domain_name`
replaces the certificate, so either form failed the edge stack's update with "export in use"; a
replaced distribution would fail the platform's update the same way. CDK's writer and reader are
also Lambda functions CDK builds inside its own constructs, which a stack cannot configure (their
concurrency, dead-letter queue or VPC, as checkov asks).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html

Here the writer makes a parameter per value, and the reader reads it through a CloudFormation
parameter of type AWS::SSM::Parameter::Value<String>; nothing binds the two stacks, so the writer
updates freely. Only the deploy order ties them, stated as a stack dependency (the platform's on the
edge stack, the edge-alarms stack's on the platform).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-supplied-parameter-types.html#aws-ssm-parameter-types

A value that changes gets a new parameter name. `cdk deploy` passes UsePreviousValue for parameters a
stack already has, and a changed value behind an unchanged name is not reliably picked up
(https://github.com/aws/aws-cdk/issues/8888, https://github.com/aws/aws-cdk/issues/20377); a new name
is a new template parameter, which CloudFormation resolves on the reader's next deploy.
- The certificate's name carries the domain it is for. The certificate it replaces stays in ACM while
  CloudFront still serves it: CloudFormation's cleanup cannot delete a certificate in use and leaves
  it; delete it once the platform has moved.
- The distribution's names carry its logical id. Every property of AWS::CloudFront::Distribution
  updates in place ("Update requires: No interruption"), so its id and domain name change only when
  it is a new resource, which a new logical id is: CloudFormation creates it and deletes the old one.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudfront-distribution.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
- The web ACL's ARN never changes (its name is fixed per environment), so its name does not need to.

SSM parameters are regional and a stack's parameters resolve in its own region, so when the reader
runs in another region the writer also writes each value there through an SDK call (putParameter on
create and update, deleteParameter on delete). A copy whose name changed returns a new physical id,
which CloudFormation treats as a replacement: it deletes the old copy (the old name) in its cleanup,
after the update gave the copy's policy the new name. So the policy of a key per domain or per
distribution covers its family of names (KEY/*), and the old copy's deleteParameter is allowed.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html
"""

from aws_cdk import CfnElement, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from foundry_infra.checkov import skip_checkov
from foundry_infra.nag import acknowledge

# The writing stack, the third part of each name (/foundry/ENV/WRITER/KEY).
EDGE = "edge"
PLATFORM = "platform"

WEB_ACL_ARN = "web-acl-arn"
CERTIFICATE_ARN = "certificate-arn"
DISTRIBUTION_ID = "distribution-id"
DISTRIBUTION_DOMAIN_NAME = "distribution-domain-name"


def parameter_name(*, environment: str, writer: str, key: str) -> str:
    return f"/foundry/{environment}/{writer}/{key}"


def certificate_key(*, domain_name: str) -> str:
    """The certificate's parameter, per domain: a new domain is a new certificate and a new name."""
    return f"{CERTIFICATE_ARN}/{domain_name}"


def distribution_key(*, value: str, distribution: cloudfront.Distribution) -> str:
    """A parameter of the distribution (DISTRIBUTION_ID, DISTRIBUTION_DOMAIN_NAME), per logical id: a
    replaced distribution is a new logical id, so a new name."""
    resource = distribution.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{distribution.node.path} has no CloudFormation resource")
    return f"{value}/{Stack.of(distribution).get_logical_id(resource)}"


class ParameterReferences(Construct):
    """In the writing stack: one SSM parameter per value, in its own region and in the reader's.
    `values` maps each parameter's key (its name below /foundry/ENV/WRITER/) to its value."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        environment: str,
        writer: str,
        reader: str,
        reader_region: str,
        values: dict[str, str],
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.parameters = {
            key: ssm.StringParameter(
                self,
                _construct_id(key),
                parameter_name=parameter_name(environment=environment, writer=writer, key=key),
                string_value=value,
                description=f"Foundry {environment}: the {writer} stack's {key}, read by name by the {reader} stack",
            )
            for key, value in values.items()
        }
        if reader_region == stack.region:
            return
        for key, value in values.items():
            name = parameter_name(environment=environment, writer=writer, key=key)
            # A key per domain or per distribution (KEY/...) is granted by family: see the module doc.
            varies = "/" in key
            family = parameter_name(environment=environment, writer=writer, key=f"{_construct_id(key)}/*")
            granted = family if varies else name
            resources = [f"arn:{stack.partition}:ssm:{reader_region}:{stack.account}:parameter{granted}"]
            put = cr.AwsSdkCall(
                service="SSM",
                action="putParameter",
                region=reader_region,
                parameters={"Name": name, "Value": value, "Type": "String", "Overwrite": True},
                physical_resource_id=cr.PhysicalResourceId.of(name),
            )
            copy = cr.AwsCustomResource(
                self,
                f"{_construct_id(key)}-in-{reader_region}",
                resource_type=f"Custom::{writer.capitalize()}ParameterCopy",
                on_create=put,
                on_update=put,
                on_delete=cr.AwsSdkCall(
                    service="SSM",
                    action="deleteParameter",
                    region=reader_region,
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
            policy = copy.node.try_find_child("CustomResourcePolicy")
            if varies and policy is not None:
                acknowledge(
                    policy,
                    f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:{reader_region}:{stack.account}:"
                    f"parameter{family}]",
                    reason=f"Only this environment's {_construct_id(key)} names (one per domain or "
                    "distribution): after a rename CloudFormation deletes the old copy under the updated "
                    "policy, so the old name must stay granted.",
                )
        self._explain_provider(stack, writer=writer)

    def _explain_provider(self, stack: Stack, *, writer: str) -> None:
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
                f"log stream; the SSM statements are scoped to this environment's {writer} parameters.",
            )
        if function is not None:
            acknowledge(
                function,
                "AwsSolutions-L1",
                reason="CDK pins the runtime of its own AwsCustomResource handler; it runs only at deploy.",
            )


def read(scope: Construct, *, environment: str, writer: str, key: str) -> str:
    """In the reading stack: the value, by parameter name (no export, no import)."""
    return ssm.StringParameter.value_for_string_parameter(
        scope, parameter_name(environment=environment, writer=writer, key=key)
    )


def certificate(scope: Construct, id_: str, *, environment: str, domain_name: str) -> acm.ICertificate:
    """In the platform stack: the edge certificate for a domain, by the ARN its parameter holds."""
    return acm.Certificate.from_certificate_arn(
        scope,
        id_,
        read(scope, environment=environment, writer=EDGE, key=certificate_key(domain_name=domain_name)),
    )


def _construct_id(key: str) -> str:
    # Keys per domain or per distribution hold a "/", which a construct id cannot.
    return key.split("/", 1)[0]
