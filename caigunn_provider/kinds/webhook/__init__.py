"""The webhook URL of one chatbot, where CaiGunn posts its events."""
