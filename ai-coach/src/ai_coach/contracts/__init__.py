# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (the schemas listed in the tool) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.
"""Wire models generated from the contracts JSON-Schema artifact."""
