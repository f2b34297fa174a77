"""A local Step Functions interpreter for tests: the deployed definition, run state by state (``interpreter.py``)."""
