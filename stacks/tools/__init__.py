"""Command-line tools that work on the synthesized cloud assembly (``cdk.out``)."""
