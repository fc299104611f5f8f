"""The Pulumi program: stacks/<stack>.yaml declared (the pipeline: caigunn_provider/program/)."""

from caigunn_provider.program import checkpoint

# The stack's state is read by a `pulumi stack export` of its own: started before the imports
# below, it is ready when the pipeline needs it.
checkpoint.read_ahead(checkpoint.this_stack())

from caigunn_provider import kinds  # noqa: E402
from caigunn_provider.program import pipeline  # noqa: E402

pipeline.run(kinds.registered())
