"""Go compatibility: the one place secretsops reproduces what Go's libraries write and read.

The tools we must be byte-compatible with are Go programs (sops, kubeseal and the
sealed-secrets controller, ESO, kubectl), so several layers need Go's exact text. Each Go
behaviour has one implementation here, named after the Go package it mirrors:

* ``strconv``: ``FormatFloat`` (every float we write) and ``Quote``;
* ``encoding_json``: ``Marshal``/``MarshalIndent``, string escaping, ``Unmarshal`` into
  ``any`` or with ``UseNumber``, raw members (``json.RawMessage``);
* ``yaml_v2``: go-yaml v2 as ``sigs.k8s.io/yaml`` drives it (kubeseal's YAML, ``toYaml``);
* ``yaml_v3``: go-yaml v3's scalar emitter, the text sops writes for each YAML value;
* ``gjson``: the part of tidwall/gjson's path syntax ESO's ``property`` uses;
* ``pem``: ``encoding/pem``;
* ``template``: ``text/template`` with sprig, shared by ESO (which adds its own functions
  from ``secretsops.external.template_funcs``) and sealed-secrets.

This package sits under ``sops``, ``sealed`` and ``external`` and imports none of them
(``.importlinter``); it knows Go, not secretsops' formats.
"""
