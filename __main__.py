"""The Pulumi program: see caigunn_provider/program.py."""

from caigunn_provider.program import run

run()
