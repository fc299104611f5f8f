"""Plumbing between our providers and Pulumi's Python dynamic-provider machinery."""
