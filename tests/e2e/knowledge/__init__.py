"""A tiny Pulumi program for the knowledge end-to-end tests (the stack-file keys come later)."""
