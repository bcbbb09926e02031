"""Identity: traders, passwords, access and refresh tokens, service credentials."""
