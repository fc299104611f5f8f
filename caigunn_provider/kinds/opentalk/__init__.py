"""The Opentalk binding of one chatbot: the Opentalk device it serves (the public reference's
_bind.md). The whole kind lives in this folder; caigunn_provider.kinds registers it."""
