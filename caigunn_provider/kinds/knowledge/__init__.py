"""Knowledge items: what a chatbot is trained on (issue 19)."""
