"""secretsops' development stack: real servers on loopback, an in-memory API server, the demo.

A distribution of its own (``devstack/pyproject.toml``) so that the product's wheel and image hold
no test server; it imports ``secretsops``, never the other way round.
"""
