"""The real app plus one deliberately non-compliant bucket inside the dev stage.

tests/stacks/test_compliance.py runs ``make synth`` with this file as the CDK app to
prove that an unacknowledged cdk-nag finding inside a Stage fails synth.
"""

from aws_cdk import App
from aws_cdk import aws_s3 as s3

from stacks.app_builder import build_app

app = App()
stages = build_app(app)
# No access logging, no SSL enforcement: AwsSolutions-S1 and -S10, unacknowledged.
s3.Bucket(stages["dev"].storage, "NagCanaryBucket", encryption=s3.BucketEncryption.S3_MANAGED)
app.synth()
