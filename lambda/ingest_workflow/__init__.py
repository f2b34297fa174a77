"""The ingest workflow's decisions: the job for a probed source, the catalog record of a finished job,
and a failure in words. Pure standard library; the function calls no AWS API (docs/architecture.md, "Ingest")."""
