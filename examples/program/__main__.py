"""A website's Pulumi program with two CaiGunn chatbots, whose api_keys go into its .env file."""

from pathlib import Path

import pulumi
from dotenv_file import DotEnvFile

import caigunn_provider as caigunn

# Checks the token, the plans and what an interrupted run left behind, then declares the chatbots.
bots = caigunn.declare(
    {
        "support": caigunn.ChatbotArgs(title="Support Desk", plan="Basic"),
        "sales": caigunn.ChatbotArgs(
            title="Sales Assistant", plan_id="3fa85f64-5717-4562-b3fc-2c963f66afa6"
        ),
    }
)

# The website reads its chatbots from a .env file; the api_keys stay secrets all the way.
env_file = DotEnvFile(
    "website-env",
    path=str(Path("website.env").resolve()),
    values={
        "SUPPORT_CHATBOT_ID": bots["support"].id,
        "SUPPORT_CHATBOT_API_KEY": bots["support"].api_key,
        "SALES_CHATBOT_ID": bots["sales"].id,
        "SALES_CHATBOT_API_KEY": bots["sales"].api_key,
    },
)

pulumi.export("env_file", env_file.path)
pulumi.export("support_chatbot_id", bots["support"].id)
pulumi.export("support_api_key", bots["support"].api_key)
