"""A compact JSON schema for the ESO fields secretsops supports, derived from reading ESO's CRDs
(config/crds/bases/external-secrets.io_{externalsecrets,secretstores}.yaml, v1): required
fields, enums, name patterns and the one-of rules. Test manifests are checked against it so
they are manifests ESO itself would accept.
"""

from __future__ import annotations

from typing import Any

import jsonschema

DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DECODING = {"enum": ["Auto", "Base64", "Base64URL", "None"]}
CONVERSION = {"enum": ["Default", "Unicode"]}
METADATA_POLICY = {"enum": ["None", "Fetch"]}
NULL_BYTES = {"enum": ["Ignore", "Fail"]}

STORE_REF = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": DNS_NAME, "maxLength": 253},
        "kind": {"enum": ["SecretStore", "ClusterSecretStore"]},
    },
}
REMOTE_REF = {
    "type": "object",
    "required": ["key"],
    "properties": {
        "key": {"type": "string"},
        "property": {"type": "string"},
        "version": {"type": "string"},
        "decodingStrategy": DECODING,
        "conversionStrategy": CONVERSION,
        "metadataPolicy": METADATA_POLICY,
        "nullBytePolicy": NULL_BYTES,
    },
    "additionalProperties": False,
}
TEMPLATE_REF = {
    "type": "object",
    "required": ["items", "name"],
    "properties": {
        "name": {"type": "string", "pattern": DNS_NAME},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key"],
                "properties": {
                    "key": {"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$"},
                    "templateAs": {"enum": ["Values", "KeysAndValues"]},
                },
            },
        },
    },
}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

EXTERNAL_SECRET: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"enum": ["external-secrets.io/v1", "external-secrets.io/v1beta1"]},
        "kind": {"const": "ExternalSecret"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "secretStoreRef": STORE_REF,
                "refreshInterval": {"type": "string"},
                "refreshPolicy": {"enum": ["CreatedOnce", "Periodic", "OnChange"]},
                "target": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "pattern": DNS_NAME, "maxLength": 253},
                        "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None", "CreateOrMerge"]},
                        "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                        "immutable": {"type": "boolean"},
                        "template": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "type": {"type": "string"},
                                "engineVersion": {"enum": ["v2"]},
                                "mergePolicy": {"enum": ["Replace", "Merge"]},
                                "data": STRING_MAP,
                                "metadata": {
                                    "type": "object",
                                    "properties": {
                                        "labels": STRING_MAP,
                                        "annotations": STRING_MAP,
                                        "finalizers": {"type": "array", "items": {"type": "string"}},
                                    },
                                },
                                "templateFrom": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "configMap": TEMPLATE_REF,
                                            "secret": TEMPLATE_REF,
                                            "literal": {"type": "string"},
                                            "target": {"type": "string"},
                                            "valuesDecodingStrategy": DECODING,
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
                "data": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["remoteRef", "secretKey"],
                        "additionalProperties": False,
                        "properties": {
                            "secretKey": {"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$", "minLength": 1},
                            "remoteRef": REMOTE_REF,
                            "sourceRef": {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {"storeRef": STORE_REF},
                            },
                        },
                    },
                },
                "dataFrom": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "extract": REMOTE_REF,
                            "find": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "path": {"type": "string"},
                                    "name": {"type": "object", "properties": {"regexp": {"type": "string"}}},
                                    "tags": STRING_MAP,
                                    "conversionStrategy": CONVERSION,
                                    "decodingStrategy": DECODING,
                                    "nullBytePolicy": NULL_BYTES,
                                },
                            },
                            "rewrite": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "maxProperties": 1,
                                    "properties": {
                                        "regexp": {
                                            "type": "object",
                                            "required": ["source", "target"],
                                            "properties": {
                                                "source": {"type": "string"},
                                                "target": {"type": "string"},
                                            },
                                        },
                                        "transform": {
                                            "type": "object",
                                            "required": ["template"],
                                            "properties": {"template": {"type": "string"}},
                                        },
                                        "merge": {
                                            "type": "object",
                                            "properties": {
                                                "into": {"type": "string"},
                                                "priority": {"type": "array", "items": {"type": "string"}},
                                                "priorityPolicy": {"enum": ["IgnoreNotFound", "Strict"]},
                                                "conflictPolicy": {"enum": ["Ignore", "Error"]},
                                                "strategy": {"enum": ["Extract", "JSON"]},
                                            },
                                        },
                                    },
                                },
                            },
                            "sourceRef": {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {"storeRef": STORE_REF},
                            },
                        },
                    },
                },
            },
        },
    },
}

SECRET_KEY_SELECTOR = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "key": {"type": "string"}},
}
VAULT = {
    "type": "object",
    "required": ["server"],
    "properties": {
        "server": {"type": "string"},
        "path": {"type": "string"},
        "version": {"enum": ["v1", "v2"]},
        "namespace": {"type": "string"},
        "caBundle": {"type": "string"},
        "caProvider": {
            "type": "object",
            "required": ["name", "type"],
            "properties": {"type": {"enum": ["Secret", "ConfigMap"]}},
        },
        "auth": {
            "type": "object",
            "properties": {
                "tokenSecretRef": SECRET_KEY_SELECTOR,
                "appRole": {
                    "type": "object",
                    "required": ["path", "secretRef"],
                    "properties": {
                        "roleId": {"type": "string"},
                        "roleRef": SECRET_KEY_SELECTOR,
                        "secretRef": SECRET_KEY_SELECTOR,
                        "path": {"type": "string"},
                    },
                },
                "kubernetes": {"type": "object", "required": ["mountPath", "role"]},
                "jwt": {"type": "object", "required": ["path"]},
                "userPass": {"type": "object", "required": ["path", "username"]},
            },
        },
    },
}
OPENBAO = {
    **VAULT,
    "properties": {
        **VAULT["properties"],
        "auth": {
            "type": "object",
            "oneOf": [
                {"required": ["appRole"]},
                {"required": ["tokenSecretRef"]},
                {"required": ["userPass"]},
            ],
            "properties": VAULT["properties"]["auth"]["properties"],  # type: ignore[index]
        },
    },
}
AWS = {
    "type": "object",
    "required": ["region", "service"],
    "properties": {
        "service": {"enum": ["SecretsManager", "ParameterStore", "CertificateManager"]},
        "region": {"type": "string"},
        "role": {"type": "string"},
        "prefix": {"type": "string"},
        "auth": {
            "type": "object",
            "properties": {
                "secretRef": {
                    "type": "object",
                    "properties": {
                        "accessKeyIDSecretRef": SECRET_KEY_SELECTOR,
                        "secretAccessKeySecretRef": SECRET_KEY_SELECTOR,
                        "sessionTokenSecretRef": SECRET_KEY_SELECTOR,
                    },
                },
                "jwt": {
                    "type": "object",
                    "properties": {"serviceAccountRef": {"type": "object", "required": ["name"]}},
                },
            },
        },
    },
}
SECRET_STORE: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"enum": ["external-secrets.io/v1", "external-secrets.io/v1beta1"]},
        "kind": {"enum": ["SecretStore", "ClusterSecretStore"]},
        "spec": {
            "type": "object",
            "required": ["provider"],
            "properties": {
                "provider": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": {"vault": VAULT, "openBao": OPENBAO, "aws": AWS},
                },
                "conditions": {"type": "array"},
            },
        },
    },
}


def validate(obj: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ESO's CRD would reject the fields we use."""
    kind = obj.get("kind")
    if kind == "ExternalSecret":
        jsonschema.validate(obj, EXTERNAL_SECRET)
    elif kind in ("SecretStore", "ClusterSecretStore"):
        jsonschema.validate(obj, SECRET_STORE)
