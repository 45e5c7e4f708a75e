"""One exception tree for every user-facing failure.

Each error renders its own one-line message (what, where, how to fix) and never contains a
secret value. The CLI maps errors to exit codes through ``exit_code``; the codes that sops
defines are reused so scripts that check them keep working.
"""

from __future__ import annotations

from typing import ClassVar


class SecretsOpsError(Exception):
    """Base class: ``str(err)`` is safe to print, log and store in status."""

    exit_code: ClassVar[int] = 1
    #: temporary errors are retried with backoff by the engine; permanent ones stall.
    temporary: ClassVar[bool] = False


class UsageError(SecretsOpsError):
    exit_code = 2


class InputError(SecretsOpsError):
    """Malformed input: a file that does not parse, a manifest without a kind, ..."""

    exit_code = 1


class FileNotFound(InputError):
    exit_code = 1


# --- SOPS (sops' own exit codes, cmd/sops/codes) -------------------------------------------


class SopsError(SecretsOpsError):
    exit_code = 1


class CouldNotReadInputFile(SopsError):
    exit_code = 2


class CouldNotWriteOutputFile(SopsError):
    exit_code = 3


class ErrorGeneric(SopsError):
    exit_code = 4


class InvalidFormat(SopsError):
    """The file is not valid in its declared format (sops: ErrorReadingConfig/InvalidFormat)."""

    exit_code = 6


class ConfigFileError(SopsError):
    """.sops.yaml cannot be read or has no rule for the file (sops: 61/62)."""

    exit_code = 61


class NoMatchingCreationRules(ConfigFileError):
    exit_code = 62


class DecryptionFailed(SopsError):
    """A value or the MAC could not be decrypted with the data key (sops: 23/24)."""

    exit_code = 23


class MacMismatch(SopsError):
    exit_code = 51


class MetadataNotFound(SopsError):
    """The file has no ``sops`` metadata: it is not encrypted (sops: 100)."""

    exit_code = 100


class KeyNotFound(SopsError):
    """``--extract`` or ``set``/``unset`` path does not exist."""

    exit_code = 4


class NoKeyRetrieved(SopsError):
    """No key source could unwrap the data key (sops: CouldNotRetrieveKey = 128)."""

    exit_code = 128


class TemporaryNoKeyRetrieved(NoKeyRetrieved):
    """No key opened, but at least one key service failed transiently (down, throttled)."""

    temporary = True


class NoEncryptionKeyFound(SopsError):
    """Encrypt was asked without any recipient/key (sops: 111)."""

    exit_code = 111


class FileHasNotBeenModified(SopsError):
    exit_code = 200


class FileAlreadyEncrypted(SopsError):
    exit_code = 203


class UnsupportedVersion(SopsError):
    exit_code = 1


class EmptyFile(SopsError):
    """sops refuses empty input (NoFileSpecified/Empty = 92 in our mapping, as the issue asks)."""

    exit_code = 92


class KeySourceError(SopsError):
    """A key service failed (unreachable, denied, unknown key). Temporary when transient."""

    exit_code = 128


class TemporaryKeySourceError(KeySourceError):
    temporary = True


class InvalidKmsEncryptionContext(SopsError):
    """``--encryption-context`` is not ``key:value,key2:value2`` (sops: 6)."""

    exit_code = 6


# --- sealed secrets ---------------------------------------------------------------------------


class SealedError(SecretsOpsError):
    exit_code = 1


class UnsealError(SealedError):
    """No key could open a SealedSecret; the message says what it was sealed for if known."""

    exit_code = 1


# --- external references ----------------------------------------------------------------------


class ExternalError(SecretsOpsError):
    exit_code = 1


class ProviderUnavailable(ExternalError):
    temporary = True


class TemplateError(ExternalError):
    exit_code = 1


# --- engine -----------------------------------------------------------------------------------


class EngineError(SecretsOpsError):
    exit_code = 1


class SourceError(EngineError):
    """git fetch/clone/verify failed."""

    temporary = True


class RenderError(EngineError):
    exit_code = 1


class ApplyError(EngineError):
    temporary = True


class PruneGuardTripped(EngineError):
    """A render lost most objects: we stall instead of pruning the cluster empty."""

    exit_code = 1


# --- check ------------------------------------------------------------------------------------


class CheckError(SecretsOpsError):
    exit_code = 2


# --- engine (added by the engine core) --------------------------------------------------------


class ApplyRejected(EngineError):
    """The API server refused an object for good (400/403/404/422): stall, do not retry."""

    temporary = False


class SignatureError(SourceError):
    """A commit is not signed by a trusted key: never retried, never applied."""

    temporary = False


class TreeDecryptionFailed(DecryptionFailed):
    """A value did not decrypt with the data key: tampered or wrong key (sops: ErrorDecryptingTree = 25)."""

    exit_code = 25


class NoFileSpecified(SopsError):
    """No input file, or the file does not exist (sops: NoFileSpecified = 100)."""

    exit_code = 100


class ConflictingParameters(UsageError):
    """Flags that cannot be combined, e.g. --in-place with --output (sops: 8)."""

    exit_code = 8


class NotEncrypted(MetadataNotFound):
    """Decrypting a file without sops metadata: sops itself exits 1 here."""

    exit_code = 1


class CouldNotLoadEncryptedFile(SopsError):
    """An encrypted file does not parse (sops exits 1, unlike plaintext input: 2)."""

    exit_code = 1


class TreePathNotFound(KeyNotFound):
    """A ``--extract``/``unset`` path that is not in the file (sops exits 1)."""

    exit_code = 1


class InvalidSetFormat(UsageError):
    """A malformed ``set``/``unset`` index or value (sops: ErrorInvalidSetFormat = 7)."""

    exit_code = 7


class InvalidTreePathFormat(UsageError):
    """A malformed ``--extract`` path (sops: InvalidTreePathFormat = 91)."""

    exit_code = 91


class NoCreationRuleMatched(NoMatchingCreationRules):
    """``.sops.yaml`` exists but no rule matches the file (the sops CLI exits 1 here)."""

    exit_code = 1


class NoEncryptionKeyGiven(NoEncryptionKeyFound):
    """No recipient from flags, environment or a creation rule: sops 3.11 exits 1 here, not 111."""

    exit_code = 1


class UnwalkableValue(InvalidFormat):
    """A parsed value sops' tree walker has no case for (a YAML integer above 2^63-1: Go's uint64)."""


class TreeEncryptionFailed(SopsError):
    """The tree did not encrypt (sops: ErrorEncryptingTree = 23)."""

    exit_code = 23


class ConfigFileInvalid(ConfigFileError):
    """A ``.sops.yaml`` that does not parse or has a malformed rule: sops exits 1 here."""

    exit_code = 1
