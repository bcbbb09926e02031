"""The transactional outbox: events written with the change, relayed to the bus later."""
