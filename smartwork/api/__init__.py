"""JSON API v1: wiring (tokens, problem+json, the spec) and one thin module per domain."""
