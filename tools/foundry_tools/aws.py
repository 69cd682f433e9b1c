"""Everything that talks to a real AWS account goes through here, so 'no credentials' is handled once."""

import boto3
import botocore.exceptions

NO_CREDENTIALS = (
    "no AWS credentials found. Provide them the usual way, then run the command again:\n"
    "  aws sso login --profile NAME && export AWS_PROFILE=NAME   (IAM Identity Center)\n"
    "  or export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... [AWS_SESSION_TOKEN=...]"
)


class NoCredentialsError(RuntimeError):
    pass


def require_credentials() -> boto3.Session:
    """Fail at once, before any slow work, when the standard credential chain has nothing."""
    session = boto3.Session()
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.BotoCoreError as error:
        raise NoCredentialsError(f"{NO_CREDENTIALS}\n  ({error})") from None
    if credentials is None:
        raise NoCredentialsError(NO_CREDENTIALS)
    return session
