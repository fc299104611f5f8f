"""A website's Pulumi program with two CaiGunn chatbots, whose api_keys go into its .env file."""

from pathlib import Path

import pulumi
from dotenv_file import DotEnvFile

import caigunn_provider as caigunn

# Each Chatbot is checked where it is declared: the token and plans once for the program, the
# plan by name, and what an interrupted run left behind. The support desk answers from its
# knowledge: CaiGunn trains a model on these items, and trains again only when they change.
support = caigunn.Chatbot(
    "support",
    title="Support Desk",
    plan="Basic",
    prompt="You are the support desk of our shop. Answer in two sentences at most.",
    initial_messages=["Hello! How can I help?"],
    knowledge=[
        {"text": "Opening hours: Monday to Friday, 9:00 to 18:00."},
        {"text_file": "knowledge/returns.md"},  # relative to this folder
    ],
)
sales = caigunn.Chatbot(
    "sales", title="Sales Assistant", plan_id="3fa85f64-5717-4562-b3fc-2c963f66afa6"
)

# The website reads its chatbots from a .env file; the api_keys stay secrets all the way.
env_file = DotEnvFile(
    "website-env",
    path=str(Path("website.env").resolve()),
    values={
        "SUPPORT_CHATBOT_ID": support.id,
        "SUPPORT_CHATBOT_API_KEY": support.api_key,
        "SALES_CHATBOT_ID": sales.id,
        "SALES_CHATBOT_API_KEY": sales.api_key,
    },
)

pulumi.export("env_file", env_file.path)
pulumi.export("support_chatbot_id", support.id)
pulumi.export("support_api_key", support.api_key)
