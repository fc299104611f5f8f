"""Knowledge items: one piece of a chatbot's training data (text, file or crawled website)."""
