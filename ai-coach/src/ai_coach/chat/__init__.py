"""Questions in plain words about a trader's numbers: the grammar, the answers, the chat route."""
