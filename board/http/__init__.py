"""What HTTP itself needs around the use cases: response headers, bounded bodies, Idempotency-Key, the OpenAPI document."""
