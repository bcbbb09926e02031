"""The optional language model: an OpenAI-compatible Chat Completions client, budgets, grounding."""
