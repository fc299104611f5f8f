"""CaiGunn chatbots: one per entry of stacks/<stack>.yaml, checked against the account first."""

import caigunn_provider as caigunn

# Loads stacks/<stack>.yaml, checks the token, the plans and the entries before anything is
# written, and exports `chatbots` (id, title, plan_id) and the secret `api_keys`.
# To declare chatbots in Python instead:
#     bots = caigunn.declare({"support": caigunn.ChatbotArgs(title="Support Desk", plan="Basic")})
caigunn.declare_stack_file()
