"""Declares one Chatbot with KnowledgeItems (a file's or website's rows in its KnowledgeRows), a
Training, a Model and a Webhook from spec.json.

Copied as __main__.py into a test project: each test step edits spec.json and the files it names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi

from caigunn_provider.kinds.chatbot.resource import Chatbot
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.declare import training_data_ids
from caigunn_provider.kinds.knowledge.resource import KnowledgeItem, KnowledgeRows
from caigunn_provider.kinds.model.resource import Model, Training
from caigunn_provider.kinds.webhook.resource import Webhook

spec = json.loads(Path("spec.json").read_text())
entry = "support"
bot = Chatbot(entry, title=spec["title"], plan_id=spec["plan_id"])
items: list[KnowledgeItem | KnowledgeRows] = []
for declared in spec.get("knowledge") or []:
    [(kind, value)] = [(k, v) for k, v in declared.items() if k != "single_page"]
    single = bool(declared.get("single_page"))
    if kind in ("text_file", "file"):
        made = digest.of_bytes(Path(value).read_bytes())
        name = f"{entry}/{kind}:{value}"
    elif kind == "text":
        made = digest.of_text(value)
        name = f"{entry}/text:{made[:12]}"
    else:
        made = digest.of_website(value, single)
        name = f"{entry}/website:{value}"
    item = KnowledgeItem(
        name,
        chatbot_id=bot.id,
        kind=kind,
        digest=made,
        path=value if kind in ("text_file", "file") else None,
        text=value if kind == "text" else None,
        website=value if kind == "website" else None,
        single_page=single if kind == "website" else None,
    )
    if kind in ("file", "website"):
        held = KnowledgeRows(
            name,
            item=item,
            kind=kind,
            path=value if kind == "file" else None,
            website=value if kind == "website" else None,
            single_page=single if kind == "website" else None,
        )
        items.append(held)
    else:
        items.append(item)
training = Training(
    entry,
    chatbot_id=bot.id,
    training_data_ids=training_data_ids(items),
    model_name=spec.get("model"),
)
model = Model(entry, training=training)
if spec.get("webhook"):
    Webhook(entry, chatbot_id=bot.id, url=spec["webhook"])
pulumi.export("chatbot_id", bot.id)
pulumi.export("model_id", model.model_id)
