#!/usr/bin/env python3
"""Showrunner CDK app: one Stage per environment (dev, staging, prod).

Always synth with a selector (``cdk synth '**'`` or ``'dev/*'``): without one,
the CDK CLI reports success even when cdk-nag fails inside a Stage.
"""

import sys

from aws_cdk import App

from stacks.app_builder import build_app
from stacks.config import ConfigError


def main() -> None:
    # aws-cdk-lib's built-in template validation (@aws/cloudformation-validate, cfn-lint's rules in
    # WebAssembly) only warns unless a feature flag makes it fail; make synth runs cfn-lint itself
    # and fails on its findings, so the built-in pass would add about 4 s (compiling its engine,
    # then every template again) and decide nothing.
    app = App(builtin_cloud_formation_validation=False)
    try:
        build_app(app)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    app.synth()


if __name__ == "__main__":
    main()
