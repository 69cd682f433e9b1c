"""IAM facts that the stacks' tests and `foundry verify` share."""

# Actions AWS defines without a resource type: granting them takes Resource "*". Each use in the
# stacks carries a reason (a cdk-nag acknowledgment or a scoping condition); anything else on "*" is a
# finding of spec §13 "no wildcards".
STAR_RESOURCE_ACTIONS = frozenset(
    {
        "cloudwatch:PutMetricData",
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:UnassignPrivateIpAddresses",
        "ecr:GetAuthorizationToken",
        "ecs:DiscoverPollEndpoint",
        "secretsmanager:GetRandomPassword",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)
