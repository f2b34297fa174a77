"""The nightly loader: Spark output into the rows table."""
