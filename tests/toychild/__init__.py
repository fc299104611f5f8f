"""A test-only kind inside a chatbot entry, ToyChild: the proof that an entry kind is one folder.

`toys:` under a chatbot entry lists short labels (or maps each label to a note); each label is
one ToyChild resource, `<entry>/toy:<label>`, kept by the chatbot-level test route
/api/external/chatbot/toy/{label} (called with the chatbot's api-key), which this folder adds to
the emulator (emulator.py). The test program hands the Chatbot kind the registered entry kinds
and this one (test_toy_child.py).
"""
