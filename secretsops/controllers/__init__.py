"""In-cluster controllers: SealedSecret, ExternalSecret and SopsSecret objects become Secrets.

The engine opens these objects when they come from git; the controllers open them when anything
else (Argo CD, Helm, kubectl, Flux) put them into the API server, as the Bitnami controller and
ESO do. One process runs every controller, each with its own informers (``informer``: list +
watch with resourceVersion, bookmarks, a new list on 410 Gone) and its own work queue
(``queue``: one key at a time, per-key exponential backoff, delayed requeues for refreshes).
``manager`` wires them to leader election, the HTTP API and ``--once``.
"""
