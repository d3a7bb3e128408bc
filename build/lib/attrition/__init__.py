"""The domain: data contract, loading, validation, synthetic bank, shared features,
labels, pipelines, registry, playbook, store and CLI."""

__version__ = "0.1.0"
