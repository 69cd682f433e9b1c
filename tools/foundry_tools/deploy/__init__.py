"""The deploy path beyond `cdk deploy`: what runs now, the first deploy, publishing web to S3."""
