"""Release tooling of Tradeloop: promote an image digest to prod by pull request."""
