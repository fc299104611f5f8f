"""CaiGunn chatbots as code: a Pulumi dynamic provider for CaiGunn chatbots."""
