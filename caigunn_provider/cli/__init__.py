"""The command line for people and scripts: `python -m caigunn_provider plans|chatbots|adopt`."""
