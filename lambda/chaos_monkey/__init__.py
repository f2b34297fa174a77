"""Chaos monkey: terminates one random in-service instance of an opted-in Auto Scaling group."""
