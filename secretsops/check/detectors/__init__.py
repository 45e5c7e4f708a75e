"""Detectors: each knows one family of leaks and reports findings on a ScanFile.

A detector is a small class with ``scan(file)``; the scanner runs them in the order of
``DEFAULT_DETECTORS``. Adding one is a new module and one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from secretsops.check.scanfile import ScanFile

if TYPE_CHECKING:
    from secretsops.check.detectors.gitops_objects import GitopsSettings


class Detector(Protocol):
    def scan(self, file: ScanFile) -> None: ...


def default_detectors(strict: bool = False) -> list[Detector]:
    """The secret rules; ``strict`` reports every plaintext value of a Secret (placeholders and
    user/host/port names too)."""
    from secretsops.check.detectors.dotenv import DotenvCredentials
    from secretsops.check.detectors.entropy import HighEntropyValues
    from secretsops.check.detectors.kubeconfig import KubeconfigCredentials
    from secretsops.check.detectors.kustomize import SecretGenerators, UndecryptedBuildOutput
    from secretsops.check.detectors.registry import RegistryCredentials
    from secretsops.check.detectors.secrets import KubernetesSecrets
    from secretsops.check.detectors.sops_files import SopsFiles
    from secretsops.check.detectors.tokens import KeyMaterial
    from secretsops.check.detectors.urls import UrlCredentials
    from secretsops.check.detectors.workloads import PlaintextCredentials

    return [
        SopsFiles(),
        KubernetesSecrets(strict),
        PlaintextCredentials(),
        SecretGenerators(strict),
        UndecryptedBuildOutput(),
        KubeconfigCredentials(),
        KeyMaterial(),
        RegistryCredentials(),
        DotenvCredentials(),
        UrlCredentials(),
        HighEntropyValues(),
    ]


def gitops_detectors(settings: GitopsSettings) -> list[Detector]:
    """The ``--gitops`` rule group: mistakes that make git stop saying what the cluster runs."""
    from secretsops.check.detectors.gitops_endpoints import HardcodedClusterUrls
    from secretsops.check.detectors.gitops_images import MovingImageTags
    from secretsops.check.detectors.gitops_rbac import HumanWriteInProduction
    from secretsops.check.detectors.gitops_sync import PruneDisabled, SelfHealDisabled

    return [
        MovingImageTags(settings),
        PruneDisabled(),
        SelfHealDisabled(),
        HardcodedClusterUrls(),
        HumanWriteInProduction(settings),
    ]
