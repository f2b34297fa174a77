"""The ingest workflow's first step: is this upload something worth transcoding? (docs/architecture.md, "Ingest")."""
