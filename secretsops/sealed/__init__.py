"""Bitnami Sealed Secrets, wire-compatible with kubeseal and the sealed-secrets controller.

``crypto`` is the hybrid RSA-OAEP + AES-GCM format, ``scope`` the OAEP label per scope,
``sealing`` turns a Secret into a SealedSecret, ``unsealing`` opens one (with diagnostics),
``keys`` and ``keyring`` manage key pairs as files or as the controller's key Secrets,
``certs`` finds the public certificate, ``gofmt`` prints objects the way kubeseal does.
"""
