"""Tests of the gateway under abuse, faults and load: rate limits, its OpenAPI contract, fuzzing, killed workers."""
