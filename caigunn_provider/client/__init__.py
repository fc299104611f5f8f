"""The CaiGunn API client: transport (HTTP, retries, errors), operations, answer parsers."""

from caigunn_provider.client.limits import AccountLimiter, AccountLimits
from caigunn_provider.client.operations import CaiGunnClient
from caigunn_provider.client.parsers import (
    ChatbotInfo,
    ChatbotRow,
    CreatedChatbot,
    Plan,
    RefreshedToken,
)

__all__ = [
    "AccountLimiter",
    "AccountLimits",
    "CaiGunnClient",
    "ChatbotInfo",
    "ChatbotRow",
    "CreatedChatbot",
    "Plan",
    "RefreshedToken",
]
