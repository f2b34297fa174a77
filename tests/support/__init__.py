"""What the test suites share: AWS fakes, event builders, the session synth, template readers."""
