"""The trained model of one chatbot: trains once per change of its items, then puts it to use."""
