"""Core vocabulary: names and codes, the school year, error types, text helpers. Imports nothing else of senlib."""
