"""The next step for a human, per failure kind, and its rendering for one diagnosis.

The texts are data, like the signatures: adding a kind is adding a row. :func:`next_step` fills
their ``str.format`` fields from a finished :class:`~safepip.model.Diagnosis`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safepip.model import FailureKind

if TYPE_CHECKING:
    from safepip.model import Diagnosis

K = FailureKind

#: The next step for a human, per kind (``str.format`` fields: ``package``, ``path``, ``url``,
#: ``where`` (url or path), ``got``, ``expected``; render fills absent ones with a neutral
#: word, and drops a ``()`` left empty).
HINTS: dict[FailureKind, str] = {
    K.NETWORK_TRANSIENT: (
        "The network or the index failed for a while ({url}); retry with backoff (pip >= "
        "25.1: --resume-retries), or raise --timeout/--retries."
    ),
    K.NETWORK_CONFIG: (
        "The proxy or DNS setup is wrong, not flaky: check HTTP_PROXY/HTTPS_PROXY/NO_PROXY "
        "and `pip config debug`; retrying will not help."
    ),
    K.CACHE_CORRUPT: (
        "pip's cache holds a bad entry for {package} ({where}); purge exactly that entry "
        "(`safepip cache purge {package}`) and retry, or use a private --cache-dir when "
        "several pips share the cache."
    ),
    K.DOWNLOAD_CORRUPT: (
        "The download of {package} arrived damaged (got sha256 {got}); retry once with --no-"
        "cache-dir. If the same hash comes back, something on the network path (proxy, "
        "antivirus, mirror) rewrites the file."
    ),
    K.HASH_PIN_MISMATCH: (
        "The hash pins for {package} are stale: the file is intact, but the requirements "
        "expect {expected} and the index serves {got}. Regenerate the hashes (pip-compile "
        "--generate-hashes, or pip hash)."
    ),
    K.LOCAL_PATH_MISSING: (
        "A requirement points to a local path that does not exist ({path}). Lines like "
        "`pkg @ file:///...` come from `pip freeze` in a conda environment: rewrite them as "
        "pkg==version with `safepip fix-requirements requirements.txt -o fixed.txt`; otherwise "
        "fix the path."
    ),
    K.ENV_BROKEN: (
        "The environment has a broken installation: remove {path} (or reinstall with "
        "--ignore-installed --no-deps {package}), or start from a fresh virtual environment."
    ),
    K.TEMP_VANISHED: (
        "A pip temporary directory vanished during the run ({path}): a /tmp cleaner, a "
        "concurrent process or antivirus; retry in a fresh process (on Windows, add an "
        "antivirus exclusion for %TEMP%)."
    ),
    K.DISK_FULL: (
        "The disk is full (often /tmp or the cache volume, not the target); free space or "
        "point TMPDIR and --cache-dir at a bigger volume."
    ),
    K.PERMISSION: (
        "pip may not write there ({path}); use a virtual environment (or --user), fix the "
        "permissions, or close the program holding the file."
    ),
    K.EXTERNALLY_MANAGED: (
        "This interpreter is managed by the OS (PEP 668); install into a virtual environment "
        "(python -m venv) or use pipx. Do not add --break-system-packages blindly."
    ),
    K.AUTH: (
        "The index refused the credentials ({url}); check the token or the netrc/keyring "
        "setup for that index. Retrying will not help."
    ),
    K.SSL_CERT: (
        "The TLS certificate of the index is not trusted; set PIP_CERT / --cert to your CA "
        "bundle (corporate proxy?), or use a Python with truststore (pip >= 24.2)."
    ),
    K.SSL_MISSING: (
        "This Python was built without the ssl module; install the OpenSSL headers and "
        "rebuild Python, or use another interpreter."
    ),
    K.INVALID_REQUIREMENT: (
        "A requirement line is not valid PEP 508; fix the line pip quotes above."
    ),
    K.HASHES_REQUIRED: (
        "Hash-checking mode is on (--require-hashes, or a --hash in some file): every "
        "requirement needs a pinned version and hashes; add the missing ones or drop the hash"
        " mode."
    ),
    K.PYTHON_INCOMPATIBLE: (
        "{package} does not support this Python version; use a Python it supports or pin an "
        "older {package} release."
    ),
    K.RESOLUTION_CONFLICT: (
        "The requirements conflict ({package}); loosen or change the pins pip lists under "
        "'The conflict is caused by'."
    ),
    K.BUILD_FAILURE: (
        "Building {package} from source failed (see the nested output): install the missing "
        "compiler or headers, or pin a version that has a wheel for this platform."
    ),
    K.WINDOWS_LONG_PATH: (
        "A path is longer than Windows allows; enable LongPathsEnabled "
        "(https://pip.pypa.io/warnings/enable-long-paths) or use a short TMP and venv path."
    ),
    K.NOT_FOUND: (
        "No release of {package} matches the requirement on this index; check the name, the "
        "version, the platform/Python tags and --index-url."
    ),
    K.INTERRUPTED: ("pip was interrupted (Ctrl-C or a signal); nothing to diagnose."),
    K.UNKNOWN: ("safepip did not recognise this failure; read the evidence lines above."),
}

#: The hint of an ``unknown`` diagnosis without any error line.
NOTHING_FOUND = (
    "No pip error in this text: pip may have succeeded, or the log ends before the failure."
)


#: The ``path`` field of a kind whose diagnosis names no path.
_NO_PATH = {K.ENV_BROKEN: "its *.dist-info directory in site-packages"}


#: pip's own message when a ``-r``/``-c`` file is missing: the path is the user's typo,
#: not a conda freeze artefact (pip ``req_file.get_file_content``).
REQUIREMENTS_FILE_MISSING = (
    "The requirements file {path} does not exist: check the path (a relative path is "
    "resolved from the directory pip runs in)."
)


#: The next step when pip wrote no log at all: it never got as far as installing
#: (``python`` is the interpreter whose pip safepip ran).
NO_LOG = (
    "pip failed before it started (its own message is above): a pip option it does not"
    " know, or no pip in {python} (install it with `{python} -m ensurepip`, or pass"
    " --python)"
)


def next_step(diagnosis: Diagnosis) -> str:
    """The hint of ``diagnosis``, whose package and paths are final; absent fields read neutral."""
    if diagnosis.kind is K.UNKNOWN and not diagnosis.evidence:
        return NOTHING_FOUND
    paths = diagnosis.paths
    fields = {
        "package": diagnosis.package or "the package",
        "path": paths[0] if paths else _NO_PATH.get(diagnosis.kind, "the path pip names above"),
        "url": diagnosis.urls[0] if diagnosis.urls else "",
        "where": (diagnosis.urls or paths or ("",))[0],
        "got": diagnosis.got_hash or "?",
        "expected": ", ".join(diagnosis.expected_hashes) or "?",
    }
    template = HINTS[diagnosis.kind]
    if diagnosis.kind is K.LOCAL_PATH_MISSING and any(
        "Could not open requirements file" in line for line in diagnosis.evidence
    ):
        template = REQUIREMENTS_FILE_MISSING
    return template.format(**fields).replace(" ()", "")
