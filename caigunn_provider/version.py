"""The package's one version: packaging metadata and the client's User-Agent both read it."""

# 0.3.0: the client already announced itself as 0.2 while the metadata said 0.1.0, so the first
# installable release must order after both; it adds a public program API, a minor step in 0.x.
__version__ = "0.3.0"
