"""Foundry ai: the private FastAPI service in front of an OpenAI-compatible upstream (spec §3.3)."""
