"""A test-only resource kind, Toy: the proof that a kind is one folder (issue 18).

A toy has a label; the emulator keeps toys under the test-only route /api/external/toy, which this
folder adds to it (emulator.py). The stack file's `toys:` section declares them.
"""
