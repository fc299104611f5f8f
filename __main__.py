"""The Pulumi program: stacks/<stack>.yaml declared (the pipeline: caigunn_provider/program/)."""

from caigunn_provider import kinds
from caigunn_provider.program import pipeline

pipeline.run(kinds.registered())
