"""Never deployed: operator commands against a real account (operator/) and developer tools (developer/).

They import nothing from the deployable app but stacks.names and stacks.config (docs/architecture.md).
"""
