"""Operator commands that act on a deployed environment in a real AWS account."""
