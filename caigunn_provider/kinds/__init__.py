"""One package per resource kind: its stack-file keys, checks, provider and resource."""
