"""Where states written before 0.3 find the Chatbot provider (now kinds/chatbot/provider.py).

The Python SDK pickles a provider by reference (module and class name) into every resource's
state, and a later run unpickles it from there, so this name must keep importing.
"""

from caigunn_provider.kinds.chatbot.provider import ChatbotProvider

__all__ = ["ChatbotProvider"]
