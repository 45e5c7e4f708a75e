"""Bitnami Sealed Secrets, wire-compatible with kubeseal and the sealed-secrets controller.

``crypto`` is the hybrid RSA-OAEP + AES-GCM format, ``scope`` the OAEP label per scope,
``sealing`` turns a Secret into a SealedSecret, ``unsealing`` opens one (with diagnostics),
``keys`` and ``keyring`` manage key pairs as files or as the controller's key Secrets,
``certs`` finds the public certificate, ``output`` prints objects the way kubeseal does.
``spec.template.data`` is rendered with the Go text/template + sprig engine of
:mod:`secretsops.golang.template`, as the controller renders it.
"""
