"""The next step for a human, per failure kind, and its rendering for one diagnosis.

The texts are data, like the signatures: adding a kind is adding a row. :func:`next_step` fills
their ``str.format`` fields from a finished :class:`~safepip.model.Diagnosis`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from safepip import lazyre
from safepip.classifier.facts import Facts, canonical
from safepip.model import Cause, FailureKind

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
        "The proxy, DNS or route setup is wrong, not flaky: check HTTP_PROXY/HTTPS_PROXY/"
        "NO_PROXY and `pip config debug`; give a proxy as HTTPS_PROXY (a build step's own pip "
        "does not get --proxy); in a container build, check its network and DNS (`docker build "
        "--network`). Retrying will not help."
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
        "The hash pins for {package}{at} are stale: the file is intact, but the requirements "
        "expect {expected} and the index serves {got}. Regenerate the hashes (pip-compile "
        "--generate-hashes, or pip hash)."
    ),
    K.LOCAL_PATH_MISSING: (
        "The local path {path}{at} does not exist: fix the path, or create the project there "
        "(a relative path is resolved from the directory pip runs in)."
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
        "{package}{at} does not support this Python version; use a Python it supports or pin an "
        "older {package} release."
    ),
    K.RESOLUTION_CONFLICT: (
        "Requirements on {package} clash: no version of it satisfies them all. Change one of "
        "the requirements pip lists under 'The conflict is caused by'."
    ),
    K.BUILD_FAILURE: (
        "Building {package}{at} from source failed (its build output is above): pin a version "
        "that has a wheel for this platform and Python, or fix what the build output names."
    ),
    K.WINDOWS_LONG_PATH: (
        "A path is longer than Windows allows; enable LongPathsEnabled "
        "(https://pip.pypa.io/warnings/enable-long-paths) or use a short TMP and venv path."
    ),
    K.NOT_FOUND: (
        "No release of {package} matches {requirement}{at} on this index; check the name, the "
        "version, the platform/Python tags and --index-url."
    ),
    K.INTERRUPTED: (
        "pip was interrupted (Ctrl-C, a signal, or the reader of its output went away, as"
        " `| head` does); nothing to diagnose."
    ),
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


#: env-broken with the installed version known: the repair pip itself can do (tested on real pip).
ENV_BROKEN_REPAIR = (
    "The installed {package} {installed} is broken ({path}): pip cannot uninstall or upgrade "
    "it. Repair it in place with `python -m pip install --ignore-installed --no-deps "
    "{package}=={installed}` (same interpreter and --target/--prefix as your install; it "
    "rewrites the files and their RECORD), then run your install again; or remove {path} "
    "and the {package} files beside it, or start from a fresh virtual environment."
)


#: A conda build directory in a ``pkg @ file:///...`` line (``pip freeze`` in a conda env).
CONDA_PATH = lazyre.compile(
    r"^(?:file://)?(?:/tmp/build/[0-9a-f]{8}/|/home/conda/feedstock_root/|/croot/"
    r"|/opt/conda/conda-bld/|/rapids/|/C:/|[A-Za-z]:\\{1,2}(?:b\\{1,2}abs_|ci\\{1,2}|bld\\{1,2}))"
)

#: local-path-missing for a conda build path: the ``pip freeze`` story and its fix.
CONDA_FREEZE = (
    "The requirement for {package}{at} points to a conda build directory that no longer "
    "exists ({path}): a "
    "`pip freeze` line from a conda environment. Rewrite such lines as pkg==version: "
    "`safepip fix-requirements {file} -o fixed.txt`."
)

#: not-found when the index listed other releases.
NOT_FOUND_LISTED = (
    "No release of {package} matches {requirement}{at} on this index; the newest it has: "
    "{versions}. Pin one of them (`{package}=={newest}`), or check the version."
)

#: not-found of a bare name when pip listed no release at all.
NOT_FOUND_NONE = (
    "pip found no release of {package}{at} on this index: check the name, the platform/Python"
    " tags and --index-url."
)

#: not-found when the index has no page for the name at all.
NOT_FOUND_UNKNOWN = (
    "The index {index} has no project named {package}{at}: check the spelling of the name "
    "(or --index-url / --extra-index-url, if it lives on another index)."
)

#: python-incompatible when pip named the Requires-Python it skipped.
PYTHON_NEEDS = "{package} {skipped} requires Python {needs}{running}. {best}"

#: pip rejected its own command line (optparse's error under its usage text).
PIP_USAGE = (
    "pip rejected its command line before doing anything: fix the option pip names above. "
    "safepip's own options (--attempts, --time-budget, --no-explain...) go before pip's "
    "arguments: `safepip install [safepip options] <pip arguments>`."
)
#: ``<python> -m pip`` ran something that does not know ``-m``: not a Python interpreter.
PIP_NOT_PYTHON = (
    "What ran does not know `-m`: safepip runs `<python> -m pip`, so --python (or the active "
    "environment) must name a Python interpreter, not a pip script."
)
#: optparse's errors as pip prints them (the signature table's row too); group 1: an unknown option.
PIP_USAGE_ERROR = (
    r"^(?:ERROR:\x20)?(?:no\x20such\x20option:\x20(-\S{0,64})"
    r"|-{1,2}[\w-]{1,64}\x20option\x20requires\x20\d{1,2}\x20arguments?$"
    r"|option\x20-{1,2}[\w-]{1,64}:\x20invalid\x20(?:choice|integer\x20value"
    r"|floating-point\x20value):"
    r"|The\x20--python\x20option\x20must\x20be\x20placed\x20before\x20the\x20pip\x20subcommand)"
)
_PIP_USAGE = lazyre.compile(PIP_USAGE_ERROR)

#: A build that failed on a SyntaxError: the code is for another Python, not a missing compiler.
BUILD_SYNTAX = (
    "Building {package}{at} from source failed on a SyntaxError: that release's build code is "
    "not valid for this Python. Pin a newer {package} release that supports this Python (one "
    "with a wheel needs no build), or use an older Python."
)

#: A build that failed for a missing compiler or header.
BUILD_COMPILER = (
    "Building {package}{at} from source failed: a compiler or a header is missing. Install it "
    "(build-essential / python3-dev, Xcode tools, MSVC build tools), or pin a {package} "
    "release that has a wheel for this platform."
)
_COMPILER = lazyre.compile(
    r"\b(?:gcc|clang|cl\.exe|x86_64-linux-gnu-gcc)\b.{0,80}(?:failed|not\x20found|No\x20such)"
    r"|Microsoft\x20Visual\x20C\+\+|fatal\x20error:\x20[\w./-]{1,200}\.h:|command\x20'\S{0,80}"
    r"(?:gcc|cc|clang)'\x20failed|error:\x20command\x20'[^']{0,200}'\x20failed"
)


def _at(origin: str | None) -> str:
    """`` (reqs/dev.txt, line 3)``, `` (on the command line)`` or ``(required by x)``."""
    if not origin:
        return ""
    if origin == "the command line":
        return " (on the command line)"
    return f" ({origin})"


def _origin_file(origin: str | None) -> str:
    if origin and ", line " in origin and not origin.startswith("required by"):
        return origin.rsplit(", line ", 1)[0]
    return "requirements.txt"


def _template(diagnosis: Diagnosis, facts: Facts, path: str) -> str:
    """The template of ``diagnosis``: its kind's, or a sharper one that the facts allow."""
    kind = diagnosis.kind
    if diagnosis.cause is not None and diagnosis.cause in CAUSE_HINTS:
        return CAUSE_HINTS[diagnosis.cause]
    if kind is K.DOWNLOAD_CORRUPT and diagnosis.got_hash is None:
        return UNHASHED_DOWNLOAD
    sharper = {
        K.LOCAL_PATH_MISSING: _local_path,
        K.NOT_FOUND: _not_found,
        K.PYTHON_INCOMPATIBLE: _python,
        K.BUILD_FAILURE: _build,
        K.ENV_BROKEN: _env_broken,
        K.INVALID_REQUIREMENT: _invalid,
    }.get(kind)
    found = sharper(diagnosis, facts, path) if sharper else None
    return found or HINTS[kind]


def _local_path(diagnosis: Diagnosis, _facts: Facts, path: str) -> str | None:
    if any("Could not open requirements file" in line for line in diagnosis.evidence):
        return REQUIREMENTS_FILE_MISSING
    return CONDA_FREEZE if CONDA_PATH.search(path) else None


def _invalid(diagnosis: Diagnosis, _facts: Facts, _path: str) -> str | None:
    for line in diagnosis.evidence:
        usage = _PIP_USAGE.match(line)
        if usage:
            return PIP_NOT_PYTHON if usage.group(1) == "-m" else PIP_USAGE
    return None


def _env_broken(diagnosis: Diagnosis, facts: Facts, _path: str) -> str | None:
    return (
        ENV_BROKEN_REPAIR if diagnosis.package and (facts.installed or diagnosis.version) else None
    )


def dist_info_name(package: str, version: str) -> str:
    """The ``*.dist-info`` name an installer writes (``Foo.bar`` 1.0 -> ``foo_bar-1.0...``)."""
    return f"{re.sub(r'[-_.]+', '_', package).lower()}-{version}.dist-info"


def _not_found(diagnosis: Diagnosis, facts: Facts, _path: str) -> str | None:
    if facts.versions:
        return NOT_FOUND_LISTED
    if facts.unknown_at:
        return NOT_FOUND_UNKNOWN
    bare = facts.requirement is None or canonical(facts.requirement) == canonical(
        diagnosis.package or ""
    )
    return NOT_FOUND_NONE if bare and diagnosis.package and not diagnosis.version else None


def _python(_diagnosis: Diagnosis, facts: Facts, _path: str) -> str | None:
    return PYTHON_NEEDS if facts.needs_python else None


def _build(diagnosis: Diagnosis, _facts: Facts, _path: str) -> str | None:
    evidence = "\n".join(diagnosis.evidence)
    if "SyntaxError" in evidence:
        return BUILD_SYNTAX
    return BUILD_COMPILER if _COMPILER.search(evidence) else None


def _best(package: str, facts: Facts, at: str) -> str:
    """The python-incompatible advice: the newest release this Python can install."""
    needs = facts.needs_python[1] if facts.needs_python else "?"
    if facts.versions:
        best = facts.versions[0]
        return (
            f"The newest {package} release for this Python is {best}: pin `{package}=={best}`"
            f"{at}, or use a Python that matches {needs}."
        )
    return (
        f"No {package} release on this index supports this Python: use a Python that matches"
        f" {needs}."
    )


#: The next step when the log shows a finer cause (:class:`~safepip.model.Cause`); same fields.
CAUSE_HINTS: dict[Cause, str] = {
    Cause.CRASHED: (
        "pip's interpreter crashed (a fatal signal, not an error pip reported): Python or a"
        " compiled extension it loaded failed. Run the same command with -v to see where; if it"
        " recurs, try another pip or Python version."
    ),
    Cause.KILLED: (
        "pip was killed (SIGKILL), most often by the kernel's out-of-memory killer during a"
        " large build in a small container or VM (`dmesg` says so): give it more memory, or"
        " build with less parallelism (MAKEFLAGS=-j1, CMAKE_BUILD_PARALLEL_LEVEL=1)."
    ),
    Cause.EMPTY_PAGE: (
        "The index answered the page of {package} with no files ({url}): a caching mirror "
        "answers so while it still fetches its upstream. If a retry a moment later gets the "
        "same, the index has no release of {package}: check the name and --index-url."
    ),
    Cause.UNREACHABLE: (
        "Nothing answers at {host} ({url}): the connection was refused, the host name is "
        "unknown or there is no route to it. Check that the server runs and the setting that "
        "points pip at it (--index-url/--extra-index-url, PIP_INDEX_URL, `pip config list`)."
    ),
    Cause.CUT_SHORT: (
        "The download of {package} was cut short ({url}): the connection broke mid-file, so "
        "its bytes fail the hash whatever the index holds. Retry (pip >= 25.1 resumes a cut "
        "download: --resume-retries), or raise --timeout/--retries; if it stops at the same "
        "point every time, a proxy or the server ends it there."
    ),
    Cause.NO_CREDENTIALS: (
        "The index wants credentials and pip sent none ({url}); --no-input kept pip from "
        "asking. Set them in the index URL (https://USER:TOKEN@host/...), in ~/.netrc or in "
        "keyring. Retrying will not help."
    ),
    Cause.CREDENTIALS_REFUSED: (
        "The index refused the credentials pip sent ({url}); check the token or the "
        "user/password in the index URL, ~/.netrc or keyring for that host. Retrying will not "
        "help."
    ),
}

#: A download that failed as a broken archive, with no hash to compare against.
UNHASHED_DOWNLOAD = (
    "The download of {package} arrived damaged ({url}): the archive is broken and the index "
    "gives no hash to compare; retry once with --no-cache-dir. If it comes back broken, the "
    "index or something on the way (proxy, antivirus, mirror) serves a bad copy."
)

#: The index keeps serving a damaged file: no client step helps (``{host}``, ``{file}``,
#: ``{admin}``: what the operator of that kind of server does).
BAD_COPY = (
    "{host} serves a damaged copy of {file}: a fresh download brought the same bad bytes "
    "again, so nothing on this side (cache purge, --no-cache-dir, retries) can fix it. "
    "Its operator must replace the file: {admin}"
)
_ADMIN = {
    "devpi": (
        "on devpi, remove the file from the mirror index's store so that devpi fetches it "
        "again from its upstream."
    ),
    "proxpi": "on proxpi, clear its cache dir (PROXPI_CACHE_DIR) so that it fetches it again.",
    "cdn": "the file comes from a CDN: report it to the index's operators.",
    "other": (
        "ask the index's admin to replace it; if the index is fine, a proxy or antivirus on "
        "the way rewrites it."
    ),
}
_CDN_HOSTS = ("files.pythonhosted.org", "pypi.org", "pythonhosted.org")


def server_kind(url: str) -> str:
    """Which kind of server a file URL comes from, by its shape: devpi, proxpi, cdn or other."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host in _CDN_HOSTS or host.endswith(".pythonhosted.org"):
        return "cdn"
    if "/+f/" in path or "/+e/" in path or "/+simple/" in path:
        return "devpi"
    if path.startswith("/index/"):
        return "proxpi"
    return "other"


#: Nothing answered at a host twice: who to ask (``{host}``, ``{setting}``).
UNREACHABLE_STOP = (
    "Nothing answers at {host}, twice, after pip's own retries: the connection was refused or "
    "the host name is unknown. Check that the server runs, and {setting}, which points pip at "
    "it. Retrying will not help until then."
)


def unreachable(host: str, setting: str) -> str:
    """The next step when nothing answered at ``host`` in two attempts."""
    return UNREACHABLE_STOP.format(host=host, setting=setting)


def _host(url: str) -> str:
    return urlsplit(url).netloc.rsplit("@", 1)[-1] or "the index host"


#: The next step when the bad bytes came back but nothing shows they were all of the file.
UNSURE_COPY = (
    "{host} sent {file} damaged again, and nothing shows whether it was all of the file: pip "
    "<= 24 does not check a download's length, so a connection cut at the same point looks "
    "the same every time. Try again later or from another network, or use pip >= 25.1 (it "
    "resumes a cut download). If the bytes are whole, {host} or a proxy on the way serves a "
    "damaged copy: {admin}"
)


def bad_copy(url: str | None, package: str | None, *, whole: bool = True) -> str:
    """The next step when the index keeps serving the same damaged file.

    Args:
        url: the file's URL.
        package: its package, when the URL names no file.
        whole: the bytes are known to be all of the file; else the advice allows for a cut.
    """
    parts = urlsplit(url or "")
    host = parts.netloc.rsplit("@", 1)[-1] or "the index"
    file = parts.path.rsplit("/", 1)[-1] or package or "the file"
    text = BAD_COPY if whole else UNSURE_COPY
    return text.format(host=host, file=file, admin=_ADMIN[server_kind(url or "")])


def next_step(diagnosis: Diagnosis, facts: Facts | None = None) -> str:
    """The hint of ``diagnosis``, whose package and paths are final; absent fields read neutral.

    Args:
        diagnosis: the finished diagnosis.
        facts: what the log says about its requirement (origin, releases, Requires-Python).
    """
    if diagnosis.kind is K.UNKNOWN and not diagnosis.evidence:
        return NOTHING_FOUND
    facts = facts or Facts()
    paths = diagnosis.paths
    package = diagnosis.package or "the package"
    installed = facts.installed or diagnosis.version or ""
    path = paths[0] if paths else _NO_PATH.get(diagnosis.kind, "the path pip names above")
    if diagnosis.kind is K.ENV_BROKEN and not paths and diagnosis.package and installed:
        path = dist_info_name(diagnosis.package, installed)
    at = _at(facts.origin)
    requirement = facts.requirement or (
        f"{package}=={diagnosis.version}" if diagnosis.package and diagnosis.version else ""
    )
    fields = {
        "package": package,
        "path": path,
        "url": diagnosis.urls[0] if diagnosis.urls else "",
        "host": _host(diagnosis.urls[0] if diagnosis.urls else ""),
        "where": (diagnosis.urls or paths or ("",))[0],
        "got": diagnosis.got_hash or "?",
        "expected": ", ".join(diagnosis.expected_hashes) or "?",
        "at": at,
        "requirement": f"`{requirement}`" if requirement else "the requirement",
        "file": _origin_file(facts.origin),
        "versions": ", ".join(facts.versions),
        "newest": facts.versions[0] if facts.versions else "",
        "index": facts.unknown_at or "",
        "skipped": facts.needs_python[0] if facts.needs_python else "",
        "needs": facts.needs_python[1] if facts.needs_python else "",
        "running": f" (this is Python {facts.running_python})" if facts.running_python else "",
        "best": _best(package, facts, at),
        "installed": installed,
    }
    return _template(diagnosis, facts, path).format(**fields).replace(" ()", "")
