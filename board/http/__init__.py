"""What HTTP itself needs around the use cases: reading requests and the envelope, response headers, bounded bodies,
Idempotency-Key, the OpenAPI document."""
