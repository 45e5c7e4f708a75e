"""``secretsops bootstrap``: a cluster from nothing (or from a backup) to its first reconcile.

``manifests`` (deploy/ as shipped in the package, the sources ConfigMap), ``keys`` (restored,
kept or generated), ``preflight`` (does the repository open with those keys? before any write),
``run`` (plan, ordered server-side apply, the first pass). The runbook is docs/disaster-recovery.md.
"""
