"""secretsops."""
