"""A local CaiGunn API emulator: a real HTTP server over SQLite, with fault-injection knobs."""
