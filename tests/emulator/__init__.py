"""Tests of the local CaiGunn API emulator, driven over real HTTP against a real subprocess."""
