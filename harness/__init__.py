"""prompt-harness: evaluate prompts for Gemini image models."""

__version__ = "0.1.0"
