"""Fixtures for the Kubernetes API test server (secretsops.devstack.kubeapi)."""
