"""The CaiGunn API client: transport (HTTP, retries, errors), operations, answer parsers."""

from caigunn_provider.client.operations import CaiGunnClient
from caigunn_provider.client.parsers import ChatbotInfo, ChatbotRow, CreatedChatbot, Plan

__all__ = ["CaiGunnClient", "ChatbotInfo", "ChatbotRow", "CreatedChatbot", "Plan"]
