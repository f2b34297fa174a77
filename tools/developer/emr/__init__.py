"""The nightly run's EMR steps, run on local pyspark (no cluster, no account)."""
