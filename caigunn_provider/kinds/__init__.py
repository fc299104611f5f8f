"""One folder per CaiGunn resource kind: its client operations, provider CRUD and resource."""
