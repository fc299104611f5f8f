"""The Pulumi program: one Chatbot per stack-file entry (the work: caigunn_provider/program.py)."""

import pulumi

from caigunn_provider import program
from caigunn_provider.resource import Chatbot

chatbots = {}
for entry in program.entries():
    chatbots[entry.name] = Chatbot(entry.name, **entry.args)
    if entry.notice:
        pulumi.log.info(entry.notice, chatbots[entry.name])
program.export(chatbots)
