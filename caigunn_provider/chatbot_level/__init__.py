"""What every kind inside a chatbot entry shares: the chatbot's own API (its api-key), the waits
for background work, the words of its failures, and the provider base.

Above the client and the dynamic-provider plumbing, below every kind: a kind imports it, never a
sibling kind's folder.
"""
