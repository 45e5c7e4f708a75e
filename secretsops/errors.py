"""One exception tree for every user-facing failure.

An error carries *what* went wrong as its message and *where* as fields: ``file`` (a path, with
``#N`` for the N-th document of a stream), ``object`` (the Kubernetes object, e.g.
``Secret/apps/db``) and ``key`` (a path inside it, e.g. ``spec.data[0]``). Whoever knows a field
adds it as the error travels outwards (``err.at(file=...)``) instead of prefixing the message, and
``str(err)`` renders each of them once, outermost first::

    es.yaml: ExternalSecret.external-secrets.io/shop/db: spec.data[0]: SecretStore shop/vault: ...

A message never contains a secret value. Exit codes come from one table, ``EXIT_CODES`` at the
end of this module: the codes sops defines are reused (scripts check them), everything else
exits 1, usage errors 2. ``temporary`` says whether the engine retries (with backoff) or stalls.
"""

from __future__ import annotations

from collections.abc import Iterable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import ClassVar, Self



class SecretsOpsError(Exception):
    """Base class: ``str(err)`` is safe to print, log and store in status."""

    #: set from ``EXIT_CODES`` below (a class not listed there has its parent's code)
    exit_code: ClassVar[int] = 1
    #: temporary errors are retried with backoff by the engine; permanent ones stall.
    temporary: ClassVar[bool] = False

    def __init__(self, message: str = "", *, file: str = "", object: str = "", key: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.object = object
        self.key = key

    def at(self, *, file: str = "", object: str = "", key: str = "") -> Self:
        """Add where the failure happened, as the error travels outwards.

        The innermost code knows the key path, the decryptor the object, the renderer the file:
        each names its part once and nobody repeats another's. What is known closer in is kept,
        unless the caller speaks of another object (the failure is in something this object
        refers to, e.g. a store's auth Secret): then the inner object and key move into the
        message and the caller's take their place, so both are named, outermost first.
        """
        if object and self.object and object != self.object:
            self.message = render(self.message, object=self.object, key=self.key)
            self.object, self.key = object, key
        else:
            self.object = self.object or object
            if key and self.key and not self.key.startswith(key):
                self.message = render(self.message, key=self.key)
                self.key = key
            else:
                self.key = self.key or key
        self.file = self.file or file
        return self

    def located(self) -> tuple[str, str, str]:
        return self.file, self.object, self.key

    def __str__(self) -> str:
        return render(self.message, self.file, self.object, self.key)


def render(message: str, file: str = "", object: str = "", key: str = "") -> str:
    """``file: object: key: message``, leaving out what is unknown."""
    return ": ".join(part for part in (file, object, key, message) if part)


class UsageError(SecretsOpsError):
    """Flags or arguments that do not make sense together."""


class InputError(SecretsOpsError):
    """Malformed input: a file that does not parse, a manifest without a kind, ..."""


class FileNotFound(InputError):
    """An input file that does not exist."""


# --- SOPS (sops' own exit codes, cmd/sops/codes) -------------------------------------------


class SopsError(SecretsOpsError):
    """A failure of the SOPS format or its commands."""


class CouldNotReadInputFile(SopsError):
    """Plaintext input that cannot be read or parsed (sops: CouldNotReadInputFile)."""


class CouldNotWriteOutputFile(SopsError):
    """The output cannot be written (sops: CouldNotWriteOutputFile)."""


class ErrorGeneric(SopsError):
    """sops' catch-all (ErrorGeneric)."""


class InvalidFormat(SopsError):
    """The file is not valid in its declared format (sops: ErrorReadingConfig/InvalidFormat)."""


class UnwalkableValue(InvalidFormat):
    """A parsed value sops' tree walker has no case for (a YAML integer above 2^63-1: Go's uint64)."""


class ConfigFileError(SopsError):
    """.sops.yaml cannot be read or has no rule for the file (sops: 61/62)."""


class ConfigFileInvalid(ConfigFileError):
    """A ``.sops.yaml`` that does not parse or has a malformed rule: sops exits 1 here."""


class NoMatchingCreationRules(ConfigFileError):
    """No creation rule applies (sops: NoMatchingCreationRules)."""


class NoCreationRuleMatched(NoMatchingCreationRules):
    """``.sops.yaml`` exists but no rule matches the file (the sops CLI exits 1 here)."""


class DecryptionFailed(SopsError):
    """A value or the MAC could not be decrypted with the data key (sops: 23/24)."""


class TreeDecryptionFailed(DecryptionFailed):
    """A value did not decrypt with the data key: tampered or wrong key (sops: ErrorDecryptingTree)."""


class TreeEncryptionFailed(SopsError):
    """The tree did not encrypt (sops: ErrorEncryptingTree)."""


class MacMismatch(SopsError):
    """The MAC does not match the values: the file was changed without re-encryption."""


class MetadataNotFound(SopsError):
    """The file has no ``sops`` metadata: it is not encrypted (sops: MetadataNotFound)."""


class NotEncrypted(MetadataNotFound):
    """Decrypting a file without sops metadata: sops itself exits 1 here."""


class NoFileSpecified(SopsError):
    """No input file, or the file does not exist (sops: NoFileSpecified)."""


class CouldNotLoadEncryptedFile(SopsError):
    """An encrypted file does not parse (sops exits 1, unlike plaintext input: 2)."""


class KeyNotFound(SopsError):
    """``--extract`` or ``set``/``unset`` path does not exist."""


class TreePathNotFound(KeyNotFound):
    """A ``--extract``/``unset`` path that is not in the file (sops exits 1)."""


class NoKeyRetrieved(SopsError):
    """No key source could unwrap the data key (sops: CouldNotRetrieveKey)."""


class TemporaryNoKeyRetrieved(NoKeyRetrieved):
    """No key opened, but at least one key service failed transiently (down, throttled)."""

    temporary = True


class NoEncryptionKeyFound(SopsError):
    """Encrypt was asked without any recipient/key (sops: NoEncryptionKeyFound)."""


class NoEncryptionKeyGiven(NoEncryptionKeyFound):
    """No recipient from flags, environment or a creation rule: sops 3.11 exits 1 here, not 111."""


class FileHasNotBeenModified(SopsError):
    """``edit`` closed without a change (sops: FileHasNotBeenModified)."""


class FileAlreadyEncrypted(SopsError):
    """Encrypting a file that already has sops metadata (sops: FileAlreadyEncrypted)."""


class UnsupportedVersion(SopsError):
    """sops metadata of a version this implementation cannot read."""


class EmptyFile(SopsError):
    """sops refuses empty input (NoFileSpecified/Empty = 92 in our mapping)."""


class KeySourceError(SopsError):
    """A key service failed (unreachable, denied, unknown key). Temporary when transient."""


class TemporaryKeySourceError(KeySourceError):
    temporary = True


class InvalidKmsEncryptionContext(SopsError):
    """``--encryption-context`` is not ``key:value,key2:value2`` (sops: 6)."""


class ConflictingParameters(UsageError):
    """Flags that cannot be combined, e.g. --in-place with --output (sops: 8)."""


class InvalidSetFormat(UsageError):
    """A malformed ``set``/``unset`` index or value (sops: ErrorInvalidSetFormat)."""


class InvalidTreePathFormat(UsageError):
    """A malformed ``--extract`` path (sops: InvalidTreePathFormat)."""


# --- sealed secrets ---------------------------------------------------------------------------


class SealedError(SecretsOpsError):
    """Sealing, key handling or the controller's HTTP API failed."""


class UnsealError(SealedError):
    """No key could open a SealedSecret; the message says what it was sealed for if known."""


# --- external references ----------------------------------------------------------------------


class ExternalError(SecretsOpsError):
    """An ExternalSecret does not resolve (store, reference, provider answer)."""


class ProviderUnavailable(ExternalError):
    temporary = True


class TemplateError(ExternalError):
    """A Go template in a target template or a SealedSecret template fails."""


# --- the Kubernetes API (secretsops.kube, the one gateway) ------------------------------------


class KubeError(SecretsOpsError):
    """A Kubernetes API call failed.

    ``status`` is the HTTP status (0: no answer), ``reason`` the Status reason (``NotFound``,
    ``Conflict``, ...) and ``fields`` the field names the server objected to. The server's own
    message is never kept: it may quote a value.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 0,
        reason: str = "",
        fields: Iterable[str] = (),
        file: str = "",
        object: str = "",
        key: str = "",
    ) -> None:
        super().__init__(message, file=file, object=object, key=key)
        self.status = status
        self.reason = reason
        self.fields = tuple(fields)


class KubeUnavailable(KubeError):
    """No answer, 429 or 5xx (after the gateway's retries): try again later."""

    temporary = True


class KubeConflict(KubeError):
    """409: another writer got there first (optimistic concurrency, AlreadyExists): read again."""

    temporary = True


class WatchExpired(KubeError):
    """410 Gone: a resourceVersion or continue token older than the server keeps; list again."""

    temporary = True


class KubeRejected(KubeError):
    """The API server refused the call for good (400, 404, 422, ...): stall, do not retry."""


class KubeForbidden(KubeRejected):
    """401/403: the credentials (or the impersonated user) may not do this."""


# --- engine -----------------------------------------------------------------------------------


class EngineError(SecretsOpsError):
    """A reconcile pass failed outside the decryptors."""


class SourceError(EngineError):
    """git fetch/clone/verify failed."""

    temporary = True


class SignatureError(SourceError):
    """A commit is not signed by a trusted key: never retried, never applied."""

    temporary = False


class RenderError(EngineError):
    """Manifests do not render (kustomize, a file that does not parse, a duplicate object)."""


class ApplyError(EngineError):
    """A write the engine refused to make (e.g. fenced: no longer the leader); retried."""

    temporary = True


class ApplyRejected(EngineError):
    """An object the engine will not apply as declared: stall, do not retry."""


class PruneGuardTripped(EngineError):
    """A render lost most objects: we stall instead of pruning the cluster empty."""


# --- check ------------------------------------------------------------------------------------


class CheckError(SecretsOpsError):
    """``check`` cannot run (bad configuration or baseline)."""


# --- exit codes: the one table ------------------------------------------------------------------

#: A class not listed exits with its nearest listed ancestor's code. The sops codes are sops'
#: ``cmd/sops/codes`` values; where the sops CLI exits 1 for a case its library gives a code,
#: the case has its own class listed with 1 (tests/sops compare against the sops binary).
EXIT_CODES: dict[type[SecretsOpsError], int] = {
    SecretsOpsError: 1,
    UsageError: 2,
    CheckError: 2,
    # sops
    CouldNotReadInputFile: 2,
    CouldNotWriteOutputFile: 3,
    ErrorGeneric: 4,
    KeyNotFound: 4,
    TreePathNotFound: 1,
    InvalidFormat: 6,
    InvalidKmsEncryptionContext: 6,
    InvalidSetFormat: 7,
    ConflictingParameters: 8,
    DecryptionFailed: 23,
    TreeEncryptionFailed: 23,
    TreeDecryptionFailed: 25,
    MacMismatch: 51,
    ConfigFileError: 61,
    ConfigFileInvalid: 1,
    NoMatchingCreationRules: 62,
    NoCreationRuleMatched: 1,
    InvalidTreePathFormat: 91,
    EmptyFile: 92,
    MetadataNotFound: 100,
    NotEncrypted: 1,
    NoFileSpecified: 100,
    NoEncryptionKeyFound: 111,
    NoEncryptionKeyGiven: 1,
    NoKeyRetrieved: 128,
    KeySourceError: 128,
    FileHasNotBeenModified: 200,
    FileAlreadyEncrypted: 203,
}


def exit_code_for(cls: type[BaseException]) -> int:
    """The table's code for ``cls`` or its nearest listed ancestor (1 for anything else)."""
    for klass in cls.__mro__:
        if klass in EXIT_CODES:
            return EXIT_CODES[klass]  # type: ignore[index]
    return 1


for _cls, _code in EXIT_CODES.items():
    _cls.exit_code = _code
