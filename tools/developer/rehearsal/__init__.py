"""Offline deployment of the synthesized cloud assembly into moto (see docs/rehearsal.md)."""
