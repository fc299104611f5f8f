"""Unit tests: the client against a fake local API, and the stack-file loader."""
