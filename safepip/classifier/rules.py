"""The classifier's signature table: ordered rules that say what a line of pip output is.

Nothing here decides anything: :mod:`safepip.classifier.scan` labels lines with this table and
:mod:`safepip.classifier.decide` picks among them. The patterns that read context and details
around a decisive line live in :mod:`safepip.classifier.patterns`, the hint texts in
:mod:`safepip.classifier.hints` (re-exported here as :data:`HINTS`).

- :data:`RULES` is the one ordered table of :class:`Rule`. The first rule that matches a line
  labels that line, so the order is the precedence (docs/failure-kinds.md §0): the Errno 2 path
  rules (§D) come before the generic ``[Errno 2]`` rule, the proxy and SSL rules before the
  generic connection rules, and so on. Adding a pip message is adding a row.
- Rules match machine-stable markers (docs/failure-kinds.md §G.3): ``[Errno N]``/``[WinError N]``,
  ``error: <reference>`` kebab references (which pip's ``--log`` file shows as
  ``<ClassName: reference>``), exception class names and the hash block, rather than English
  prose where a marker exists.
- Every pattern is compiled once with ``re.VERBOSE`` and uses bounded repetitions only, so that a
  search over a line of at most :data:`safepip.classifier.normalize.MAX_LINE` characters is linear.
- :data:`TRIGGERS` are literal substrings: only lines holding one of them are matched against
  :data:`RULES` (a fast pre-filter). Every rule's match must contain one of them;
  ``tests/unit/classifier/test_rules.py`` checks this on the example lines.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from safepip.classifier import hints as _hints
from safepip.model import FailureKind

K = FailureKind

#: The hint texts per kind, kept in :mod:`safepip.classifier.hints`; re-exported for the table's
#: readers.
HINTS = _hints.HINTS


@dataclass(frozen=True)
class Rule:
    """One signature.

    Attributes:
        kind: the failure class a matching line points to.
        regex: the pattern, a ``re.VERBOSE`` regular expression searched (not matched) in a
            cleaned line; :attr:`pattern` is its compiled form.
        source: where the signature comes from (docs/failure-kinds.md section, pip version, issue).
        warning: True when the line is a warning or debug line: it explains a later symptom
            (``from versions: none``) or decides only when no error line does.
        needles: literals, one of which every match contains: the pattern is tried only on a
            line holding one (a cheap ``in`` test; ``tests/unit/classifier/test_rules.py`` checks
            it).
        errnos: when set, the row matches a line whose ``[Errno N]``/``[WinError N]`` code is
            one of these and whose quoted path (see :data:`ERRNO_PATH`) matches ``pattern``
            (docs/failure-kinds.md §D: decide Errno 2 by its path).
    """

    kind: FailureKind
    regex: str
    source: str
    warning: bool = False
    needles: tuple[str, ...] = ()
    errnos: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled pattern, compiled on first use.

        A run compiles only the rows whose needles occur in its log; most of the table never
        is, which keeps the start-up of ``safepip diagnose`` and of a failed install short.
        """
        return _compiled(self.regex)


@functools.cache
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.VERBOSE)


def _rule(  # noqa: PLR0913 - keyword-only fields of one table row
    kind: FailureKind,
    pattern: str,
    source: str,
    *,
    warning: bool = False,
    needles: tuple[str, ...],
    errnos: tuple[str, ...] = (),
) -> Rule:
    return Rule(kind, pattern, source, warning, needles, errnos)


_PIP_TEMP = (
    r"[\\/]pip-(?:unpack|req-tracker|build-tracker|install|req-build|ephem-wheel-cache|wheel"
    r"|build-env|target|modern-metadata|metadata|record|uninstall|standalone-pip|build)-"
    r"|[\\/]tmp\w{4,12}_in_process\.py"
)
#: pip's stash of an installed distribution being replaced (pip >= 20: ``pip-uninstall-*``;
#: older: ``pip-*-uninstall``): its files belong to the target environment, not to pip.
_UNINSTALL_STASH = r"[\\/]pip-(?:uninstall-\w{4,12}|\w{4,12}-uninstall)[\\/]"
_CONDA = (
    r"^(?:file://)?(?:/tmp/build/80754af9/|/home/conda/feedstock_root/|/croot/|/opt/conda/conda-bld/"
    r"|/rapids/|/C:/|[A-Za-z]:\\{1,2}(?:b\\{1,2}abs_|ci\\{1,2}|bld\\{1,2}))"
)
_SEP = r"[\\/]{1,2}"
CACHE_LAYOUT = (
    r"[\\/](?:wheels"
    + _SEP
    + r"[0-9a-f]{2}"
    + _SEP
    + r"[0-9a-f]{2}"
    + _SEP
    + r"|http(?:-v2)?"
    + _SEP
    + r"[0-9a-f]"
    + _SEP
    + r"[0-9a-f]"
    + _SEP
    + ")"
)


def _codes(*codes: int) -> tuple[str, ...]:
    """Needles for errno values, as ``[Errno N]`` and ``[WinError N]`` print them."""
    return tuple(f"{prefix} {code}]" for code in codes for prefix in ("Errno", "WinError"))


RULES: tuple[Rule, ...] = (
    # --- interrupted: pip catches KeyboardInterrupt and says so (cli/base_command.py) --------
    _rule(
        K.INTERRUPTED,
        r"^(?:[\w.]{1,200}\.)?KeyboardInterrupt\b|Operation\x20cancelled\x20by\x20user",
        "pip base_command: KeyboardInterrupt -> 'Operation cancelled by user'",
        needles=("KeyboardInterrupt", "Operation cancelled"),
    ),
    # The reader of pip's output went away (`| head -1`): another run meets the same closed pipe.
    _rule(
        K.INTERRUPTED,
        r"^ERROR:\x20Pipe\x20to\x20stdout\x20was\x20broken",
        "pip base_command: BrokenStdoutLoggingError -> 'ERROR: Pipe to stdout was broken'",
        needles=("Pipe to stdout",),
    ),
    # --- network-config before network-transient: same Retrying lines, different inner error -
    _rule(
        K.NETWORK_CONFIG,
        r"ProtocolError\(\s?'Connection\x20aborted\.',\s?"
        r"(?:FileNotFoundError\(2|OSError\(22|BadStatusLine\()",
        "docs/failure-kinds.md §B network-config, pypa/pip#11892: the connection fails on this side"
        " (a proxy setting that is a file, an invalid socket argument, a port that does not speak"
        " HTTP), not a reset by the server",
        needles=("FileNotFoundError(2", "OSError(22", "BadStatusLine("),
    ),
    _rule(
        K.NETWORK_CONFIG,
        r"\[(?:Errno\x20(?:101|51|113|65)|WinError\x20100(?:51|65))\]|Network\x20is\x20unreachable"
        r"|No\x20route\x20to\x20host|SSLEOFError|EOF\x20occurred\x20in\x20violation\x20of\x20protocol"
        r"|HANDSHAKE_FAILURE",
        "docs/failure-kinds.md §B/§E: no route to the index or its host (ENETUNREACH,"
        " EHOSTUNREACH) or a TLS session cut or refused by a proxy/firewall (SSLEOFError,"
        " handshake failure): a setting, not a flaky link",
        needles=(
            "Errno 101]",
            "Errno 51]",
            "Errno 113]",
            "Errno 65]",
            "WinError 10051]",
            "WinError 10065]",
            "Network is unreachable",
            "No route to host",
            "SSLEOFError",
            "EOF occurred in violation",
            "HANDSHAKE_FAILURE",
        ),
    ),
    _rule(
        K.NETWORK_CONFIG,
        r"ProxyError\(|proxy-connection-failed|Cannot\x20connect\x20to\x20proxy|InvalidProxyURL"
        r"|Tunnel\x20connection\x20failed|HTTP\x20error\x20407|\b407\x20Client\x20Error"
        r"|WRONG_VERSION_NUMBER|ProxySchemeUnknown|Proxy\x20URL\x20had\x20no\x20scheme"
        r"|Missing\x20dependencies\x20for\x20SOCKS|check_hostname\x20requires\x20server_hostname",
        "docs/failure-kinds.md §B network-config, pypa/pip#9190; pip>=26.2 proxy-connection-failed;"
        " a proxy variable without scheme or an https:// proxy URL on urllib3 1.26",
        needles=(
            "ProxyError(",
            "proxy-connection-failed",
            "connect to proxy",
            "InvalidProxyURL",
            "Tunnel connection",
            "407",
            "WRONG_VERSION",
            "ProxySchemeUnknown",
            "had no scheme",
            "SOCKS",
            "check_hostname",
        ),
    ),
    # --- ssl ----------------------------------------------------------------------------------
    _rule(
        K.SSL_MISSING,
        r"SSL\x20module\x20is\x20not\x20available|\bssl-missing\b"
        r"|ssl\x20module\x20in\x20Python\x20is\x20not\x20available",
        "docs/failure-kinds.md §E ssl-missing, pypa/pip#7691; pip>=26.2 ssl-missing; pip's startup"
        " warning 'the ssl module in Python is not available'",
        needles=("SSL module", "ssl-missing", "ssl module"),
    ),
    _rule(
        K.SSL_CERT,
        r"CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError|ssl-verification-failed"
        r"|problem\x20confirming\x20the\x20ssl\x20certificate|TLSV1_ALERT_PROTOCOL_VERSION",
        "docs/failure-kinds.md §E ssl-cert; pip>=26.2 ssl-verification-failed",
        needles=(
            "CERTIFICATE_VERIFY_FAILED",
            "SSLCertVerificationError",
            "ssl-verification-failed",
            "ssl certificate",
            "TLSV1_ALERT_PROTOCOL_VERSION",
        ),
    ),
    # --- hash mode ----------------------------------------------------------------------------
    _rule(
        K.HASHES_REQUIRED,
        r"Hashes\x20are\x20required\x20in\x20--require-hashes\x20mode"
        r"|In\x20--require-hashes\x20mode,\x20all\x20requirements\x20must\x20have"
        r"|Can't\x20verify\x20hashes\x20for\x20these"
        r"|cannot\x20be\x20installed\x20when\x20requiring\x20hashes",
        "docs/failure-kinds.md §E hashes-required (HashMissing, HashUnpinned; pip <= 20 editable"
        " 'cannot be installed when requiring hashes')",
        needles=("require-hashes", "verify hashes", "requiring hashes"),
    ),
    # The hash block: refined into cache-corrupt / download-corrupt / hash-pin-mismatch (§C).
    _rule(
        K.DOWNLOAD_CORRUPT,
        r"THESE\x20PACKAGES\x20DO\x20NOT\x20MATCH\x20THE\x20HASHES",
        "docs/failure-kinds.md §C hash mismatch (decision procedure)",
        needles=("DO NOT MATCH THE HASHES",),
    ),
    _rule(
        K.EXTERNALLY_MANAGED,
        r"externally-managed-environment|This\x20environment\x20is\x20externally\x20managed"
        r"|by\x20passing\x20--break-system-packages|See\x20PEP\x20668\x20for\x20the\x20detailed",
        "docs/failure-kinds.md §E externally-managed (PEP 668, pip>=23.0; its note and hint when"
        " the paste lost the lines above them)",
        needles=("externally", "by passing --break-system-packages", "See PEP 668"),
    ),
    _rule(
        K.WINDOWS_LONG_PATH,
        r"Windows\x20Long\x20Path\x20support|enable-long-paths|exceeding\x20255\x20characters"
        r"|\[WinError\x20206\]",
        "docs/failure-kinds.md §E windows-long-path (HINT, pip>=21.2; 26.3 second HINT;"
        " ERROR_FILENAME_EXCED_RANGE, WinError 206 'The filename or extension is too long')",
        needles=("Long Path", "long-paths", "255 characters", "WinError 206]"),
    ),
    _rule(
        K.DISK_FULL,
        r"\[Errno\x20(?:28|122)\]|No\x20space\x20left\x20on\x20device|Disk\x20quota\x20exceeded"
        r"|\[WinError\x20112\]",
        "docs/failure-kinds.md §E disk-full",
        needles=("Errno 28", "Errno 122", "No space left", "quota exceeded", "WinError 112"),
    ),
    # --- Errno disambiguation by path (§D), before the generic OSError rules --------------
    # Rows with ``errnos`` match their pattern against the quoted path after the marker.
    _rule(
        K.TEMP_VANISHED,
        r"\[WinError\x20225\]",
        "docs/failure-kinds.md §D: WinError 225 (ERROR_VIRUS_INFECTED): an antivirus blocked the"
        " file"
        " pip unpacked in its temp dir, whatever the path (pyinstaller/pyinstaller#6169)",
        needles=("WinError 225]",),
    ),
    _rule(
        K.BUILD_FAILURE,
        r"Error\x20\[(?:Errno|WinError)\x202\][^\n]{0,512}?while\x20executing\x20command",
        "docs/failure-kinds.md §E build-failure: pip could not start a command it needs"
        " (utils/subprocess.py 'Error [Errno 2] ... while executing command'): git, hg or a"
        " compiler is not installed",
        needles=("while executing command",),
    ),
    _rule(
        K.ENV_BROKEN,
        r"\[(?:Errno|WinError)\x20[23]\][^\n]{0,4200}?'\x20->\x20'[^'\n]{0,512}?"
        + _UNINSTALL_STASH,
        "docs/failure-kinds.md §D: Errno 2 moving an installed distribution's recorded file into"
        " pip's"
        " uninstall stash: the environment no longer has the file (another pip removed it)",
        needles=("uninstall",),
    ),
    _rule(
        K.PERMISSION,
        _UNINSTALL_STASH,
        "docs/failure-kinds.md §E permission: WinError 5/32 on a file of the installed distribution"
        " pip is replacing (a running pip.exe or a loaded .pyd), moved to pip-uninstall-*",
        needles=(*_codes(5, 32), "Errno 13]"),
        errnos=("5", "13", "32"),
    ),
    _rule(
        K.TEMP_VANISHED,
        _PIP_TEMP,
        "docs/failure-kinds.md §D: WinError 5/32, Errno 13, ENOTEMPTY on a pip temp file"
        " (antivirus, indexer, a concurrent cleaner)",
        needles=(*_codes(5, 32), "Errno 13]", "Errno 39]"),
        errnos=("5", "13", "32", "39"),
    ),
    _rule(
        K.ENV_BROKEN,
        r"\[(?:Errno\x20(?:39|66)|WinError\x20145)\]",
        "docs/failure-kinds.md §E env-broken: ENOTEMPTY while pip moves an installed distribution"
        " away"
        " (leftover files, overlay storage)",
        needles=("Errno 39]", "Errno 66]", "WinError 145]"),
    ),
    _rule(
        K.PERMISSION,
        r"\[Errno\x20(?:1|13|26|30)\]|\[WinError\x20(?:5|32)\]|PermissionError"
        r"|To\x20modify\x20pip,\x20please\x20run",
        "docs/failure-kinds.md §E permission (ETXTBSY: a running program's file; Windows: pip.exe"
        " cannot replace itself, 'To modify pip, please run python -m pip')",
        needles=(*_codes(1, 13, 30, 5, 32), "PermissionError", "Errno 26]", "To modify pip"),
    ),
    _rule(
        K.LOCAL_PATH_MISSING,
        _CONDA,
        "docs/failure-kinds.md §D: conda build path (pip freeze '@ file://' artefact)",
        needles=_codes(2, 3, 22),
        errnos=("2", "3", "22"),
    ),
    _rule(
        K.CACHE_CORRUPT,
        CACHE_LAYOUT,
        "docs/failure-kinds.md §D: path under the pip cache (pypa/pip#7490, #9034)",
        needles=_codes(2, 3),
        errnos=("2", "3"),
    ),
    _rule(
        K.ENV_BROKEN,
        r"[\\/](?:site|dist)-packages" + _SEP + r"[^'\"\\/\n]{1,256}\.(?:dist|egg)-info\b",
        "docs/failure-kinds.md §D: site-packages/*.dist-info/(METADATA|RECORD)",
        needles=_codes(2, 3),
        errnos=("2", "3"),
    ),
    _rule(
        K.TEMP_VANISHED,
        _PIP_TEMP,
        "docs/failure-kinds.md §D: pip temp dir removed under pip (pypa/pip#5754, #5790)",
        needles=_codes(2, 3, 22, 225),
        errnos=("2", "3", "22", "225"),
    ),
    _rule(
        K.UNKNOWN,
        r"\[(?:Errno|WinError)\x202\][^'\"\n]{0,300}:\x20(?:''|\"\")|getcwd\(\)\x20failed",
        "docs/failure-kinds.md §D: empty path (pypa/pip#9685) or deleted cwd (pypa/pip#4255)",
        needles=(": ''", ': ""', "getcwd"),
    ),
    # --- environment --------------------------------------------------------------------------
    _rule(
        K.ENV_BROKEN,
        r"uninstall-no-record-file|RECORD\x20file\x20not\x20found|no\x20RECORD\x20file\x20was\x20found"
        r"|uninstall-distutils-installed-package|distutils\x20installed\x20project"
        r"|invalid-installed-package|No\x20metadata\x20found\x20in|Ignoring\x20invalid\x20distribution"
        r"|Error\x20parsing\x20dependencies\x20of",
        "docs/failure-kinds.md §E env-broken (<=24.0 one-liners, >=24.1 uninstall-*, >=25.0)",
        needles=(
            "uninstall-",
            "RECORD",
            "distutils",
            "invalid-installed-package",
            "No metadata found",
            "Ignoring invalid distribution",
            "Error parsing dependencies",
        ),
    ),
    # --- local paths ----------------------------------------------------------------------
    _rule(
        K.LOCAL_PATH_MISSING,
        r"looks\x20like\x20a\x20filename,\x20but\x20the\x20file\x20does\x20not\x20exist"
        r"|It\x20looks\x20like\x20a\x20path\.\x20File\x20.{1,1024}?\x20does\x20not\x20exist"
        r"|does\x20not\x20appear\x20to\x20be\x20a\x20Python\x20project"
        r"|is\x20not\x20installable\.\x20(?:Neither\x20'setup\.py'|File\x20'setup\.py')"
        r"|Directory\x20cannot\x20be\x20installed\x20in\x20editable\x20mode",
        "docs/failure-kinds.md §E local-path-missing (pimvanpelt/vppcfg#15; pip>=22 Hint; a"
        " directory that holds no setup.py or pyproject.toml is not the project's path)",
        needles=(
            "looks like a",
            "does not appear to be a Python project",
            "is not installable",
            "cannot be installed in editable mode",
        ),
    ),
    _rule(
        K.LOCAL_PATH_MISSING,
        r"Location\x20'[^'\n]{1,4096}'\x20is\x20ignored",
        "docs/failure-kinds.md §E not-found: a --find-links or index location that is no"
        " existing path (pip: 'is ignored: it is neither a file nor a directory' / 'either a"
        " non-existing path or lacks a specific scheme') explains a later not-found",
        needles=("is ignored",),
    ),
    _rule(
        K.NETWORK_CONFIG,
        r"is\x20not\x20a\x20trusted\x20or\x20secure\x20host\x20and\x20is\x20being\x20ignored",
        "docs/failure-kinds.md §B network-config: a plain-http index without --trusted-host is"
        " ignored by pip (network/session.py), so the project is not found there",
        needles=("not a trusted or secure host",),
    ),
    # `-e ./no-such-dir`: pip calls it "not a valid editable requirement", but it is a path.
    _rule(
        K.LOCAL_PATH_MISSING,
        r"(?:^|[\s:'])((?:\.{1,2}[\\/]|[\\/~]|[A-Za-z]:[\\/]|file:)[^\s']{0,4096}?)'?\x20is\x20not\x20a"
        r"\x20valid\x20editable\x20requirement",
        "pip: `-e PATH` whose PATH does not exist ('is not a valid editable requirement')",
        needles=("valid editable requirement",),
    ),
    # Any other Errno 2: a local file or directory the user named (§D, the fallback row).
    _rule(
        K.LOCAL_PATH_MISSING,
        r"\[(?:Errno|WinError)\x20[23]\]|^(?:[\w.]{1,200}\.)?FileNotFoundError\b",
        "docs/failure-kinds.md §D: Errno 2 on a local path (the fallback row)",
        needles=("Errno 2]", "WinError 2]", "Errno 3]", "WinError 3]", "FileNotFoundError"),
    ),
    # --- resolution, python, requirements -----------------------------------------------
    _rule(
        K.RESOLUTION_CONFLICT,
        r"dependency\x20resolver\x20does\x20not\x20currently\x20take",
        "pip prints this after installing: a warning, not a failure",
        warning=True,
        needles=("dependency resolver does not",),
    ),
    _rule(
        K.RESOLUTION_CONFLICT,
        r"ResolutionImpossible|resolution-too-deep|conflicting\x20dependencies"
        r"|The\x20conflict\x20is\x20caused\x20by|loosen\x20the\x20range\x20of\x20package\x20versions"
        r"|remove\x20package\x20versions\x20to\x20allow\x20pip"
        r"|Dependency\x20resolution\x20exceeded\x20maximum\x20depth",
        "docs/failure-kinds.md §E resolution-conflict (20.3+; 25.1 resolution-too-deep; pip's"
        " 'To fix this you could try to' advice when the paste lost the lines above it)",
        needles=(
            "ResolutionImpossible",
            "resolution-too-deep",
            "conflicting dependencies",
            "The conflict is caused by",
            "package versions",
            "exceeded maximum depth",
        ),
    ),
    _rule(
        K.PYTHON_INCOMPATIBLE,
        r"Ignored\x20the\x20following\x20(?:yanked\x20)?versions\x20that\x20require\x20a\x20different",
        "docs/failure-kinds.md §E python-incompatible (pip>=22.3 hint before not-found)",
        warning=True,
        needles=("Ignored the following",),
    ),
    _rule(
        K.PYTHON_INCOMPATIBLE,
        r"^\s{0,12}Link\x20requires\x20a\x20different\x20Python",
        "pip --log debug line (index/package_finder.py): candidate skipped for Requires-Python",
        warning=True,
        needles=("Link requires",),
    ),
    _rule(
        K.PYTHON_INCOMPATIBLE,
        r"requires\x20a\x20different\x20Python"
        r"|requires\x20Python\x20'[^'\n]{1,64}'\x20but\x20the\x20running\x20Python\x20is"
        r"|This\x20script\x20does\x20not\x20work\x20on\x20Python\x20\d"
        r"|is\x20not\x20a\x20supported\x20wheel\x20on\x20this\x20platform",
        "docs/failure-kinds.md §E python-incompatible (scylladb/python-driver#482; pip <= 18 'X"
        " requires"
        " Python '>=3.4' but the running Python is 2.7'; get-pip.py's minimum-version refusal)",
        needles=(
            "requires a different Python",
            "but the running Python",
            "script does not work",
            "not a supported wheel",
        ),
    ),
    _rule(
        K.INVALID_REQUIREMENT,
        r"Invalid\x20requirement:|invalid-egg-fragment|Invalid\x20wheel\x20filename"
        r"|is\x20not\x20a\x20valid\x20wheel\x20filename|Double\x20requirement\x20given"
        r"|Could\x20not\x20detect\x20requirement\x20name"
        r"|\bInvalid(?:Marker|Requirement|Specifier)\b|is\x20not\x20a\x20valid\x20editable\x20requirement",
        "docs/failure-kinds.md §E invalid-requirement (<=23.x, >=24.1 packaging 22 wording);"
        " pip 24.0 crashes with packaging's InvalidMarker on `pkg; <not a marker>` [lab];"
        " packaging's exception classes by name; -e with neither a path nor a VCS URL",
        needles=(
            "Invalid requirement",
            "InvalidMarker",
            "InvalidRequirement",
            "InvalidSpecifier",
            "valid editable requirement",
            "detect requirement name",
            "invalid-egg-fragment",
            "wheel filename",
            "Double requirement",
        ),
    ),
    _rule(
        K.INVALID_REQUIREMENT,
        _hints.PIP_USAGE_ERROR,
        "optparse's errors, printed by pip 8-26 under its usage text with exit status 2 [lab:"
        " pip 22.0.4, 24.0, 26.3]: pip rejected its own command line before doing anything",
        needles=("no such option", "option requires", ": invalid ", "--python option must"),
    ),
    # --- auth ---------------------------------------------------------------------------------
    _rule(
        K.AUTH,
        r"^\s{0,16}User\x20for\x20\S{1,256}:\s{0,4}(?:$|ERROR|Traceback|EOFError)"
        r"|^(?:[\w.]{1,200}\.)?EOFError:\x20EOF\x20when\x20reading\x20a\x20line",
        "docs/failure-kinds.md §E auth: a credential prompt nobody answered (no TTY, no"
        " --no-input), in the run or in the nested pip of a build step (pypa/pip#6179); its"
        " 'EOFError: EOF when reading a line' (input() on a closed stdin) when the prompt line"
        " was cut",
        needles=("User for", "EOF when reading"),
    ),
    _rule(
        K.AUTH,
        r"HTTP\x20error\x2040[13]\b|\b40[13]\x20Client\x20Error|\b401\x20Error,\x20Credentials"
        r"|\x20HTTP/1\.[01]\"\x2040[13]\x20",
        'docs/failure-kinds.md §E auth (401/403; the -v urllib3 line \'"GET /simple/x/ HTTP/1.1"'
        " 401')",
        needles=("HTTP error 40", "401 Client", "403 Client", "401 Error", '" 401 ', '" 403 '),
    ),
    _rule(
        K.AUTH,
        r"could\x20not\x20read\x20(?:Username|Password)\x20for|Authentication\x20failed\x20for"
        r"|Permission\x20denied\x20\(publickey|Invalid\x20username\x20or\x20(?:password|token)"
        r"|terminal\x20prompts\x20disabled",
        "git clone of a VCS requirement refused the credentials or had none to give"
        " (git's own messages: no TTY for the prompt, a wrong token, no SSH key)",
        needles=(
            "could not read",
            "Authentication failed",
            "(publickey",
            "Invalid username",
            "terminal prompts disabled",
        ),
    ),
    # --- cache and download corruption ------------------------------------------------------
    _rule(
        K.CACHE_CORRUPT,
        r"Skipping\x20page\x20\S{1,2048}\x20because\x20(?:the\x20GET\x20request\x20got|of)"
        r"\x20Content-Type:\x20(?:[Uu]nknown|\.|$)",  # pip 22.0 prints an empty type
        "docs/failure-kinds.md §A Content-Type: Unknown (pypa/pip#6970, #11340)",
        warning=True,
        needles=("Skipping page",),
    ),
    _rule(
        K.CACHE_CORRUPT,
        r"Cache\x20entry\x20deserialization\x20failed",
        "docs/failure-kinds.md §A (pip<=23.2: harmless, self-heals)",
        warning=True,
        needles=("Cache entry deserialization",),
    ),
    _rule(
        K.CACHE_CORRUPT,
        r"Wheel\x20'[^'\n]{1,256}'\x20located\x20at\x20.{1,4096}?\x20is\x20invalid",
        "docs/failure-kinds.md §A: invalid wheel (wheels/ race pypa/pip#13540, cached body)",
        needles=("located at",),
    ),
    _rule(
        K.CACHE_CORRUPT,
        r"BadZipFile|Bad\x20CRC-32|File\x20is\x20not\x20a\x20zip\x20file"
        r"|Compressed\x20file\x20ended\x20before|Error\x20-3\x20while\x20decompressing"
        r"|^(?:[\w.]{1,200}\.)?EOFError\b(?!:\x20EOF\x20when\x20reading)|origin\.json"
        r"|tarfile\.(?:ReadError|\w{0,20}HeaderError)|Not\x20a\x20gzip\x20file|has\x20an\x20invalid\x20wheel"
        r"|zlib\.error:\x20Error\x20-3",
        "docs/failure-kinds.md §E cache-corrupt (pypa/pip#9034, #13312, #11985); a damaged sdist:"
        " tarfile/gzip errors",
        needles=(
            "tarfile.",
            "invalid wheel",
            "ot a gzip file",
            "zlib.error",
            "BadZipFile",
            "Bad CRC-32",
            "not a zip file",
            "Compressed file ended",
            "while decompressing",
            "EOFError",
            "origin.json",
        ),
    ),
    _rule(
        K.DOWNLOAD_CORRUPT,
        r"inconsistent\x20[\w-]{1,64}\x20between\x20its\x20PEP\x20658",
        "docs/failure-kinds.md §F 26.2 SidecarMetadataInconsistent (stale mirror or cache)",
        needles=("PEP 658",),
    ),
    # --- network-transient ------------------------------------------------------------------
    _rule(
        K.NETWORK_TRANSIENT,
        r"HTTP\x20error\x20404\x20while\x20getting\x20\S{1,4096}\x20\(from\x20"
        r"|Could\x20not\x20install\x20requirement\x20[A-Za-z0-9][\w.-]{0,200}\x20from\x20\S{1,4096}"
        r"(?:\x20\(from\x20[^)\n]{1,2048}\))?\x20because\x20of\x20(?:HTTP\x20)?error\x20404",
        "docs/failure-kinds.md §B: a file the index page listed answers 404 ('(from <index"
        " page>)', or a"
        " named requirement): the index and its file server disagree (a stale mirror or CDN)",
        needles=("error 404",),
    ),
    _rule(
        K.NOT_FOUND,
        r"\b40[4]\x20Client\x20Error|\b410\x20Client\x20Error|\x20HTTP/1\.[01]\"\x20404\x20"
        r"|HTTP\x20error\x20404\b",
        "docs/failure-kinds.md §B/§E not-found: the index has no page for the project, or a URL"
        " the user"
        " gave (a deleted branch archive) does not exist",
        needles=("404 Client", "410 Client", '" 404 ', "HTTP error 404"),
    ),
    _rule(
        K.NETWORK_TRANSIENT,
        r"HTTP\x20error\x20(?:5\d\d|429)|\b(?:5\d\d\x20Server|429\x20Client)\x20Error"
        r"|too\x20many\x205\d\d\x20error\x20responses|ResponseError\("
        r"|ReadTimeoutError|ConnectTimeoutError|NewConnectionError|NameResolutionError"
        r"|RemoteDisconnected|ConnectionResetError|ConnectionRefusedError|IncompleteRead"
        r"|Connection\x20broken|ProtocolError|SSLEOFError|SSLError\(|UNEXPECTED_EOF_WHILE_READING"
        r"|ChunkedEncodingError|Read\x20timed\x20out|^(?:[\w.]{1,200}\.)?TimeoutError\b|^socket\.timeout\b"
        r"|The\x20read\x20operation\x20timed\x20out|not\x20enough\x20bytes\x20were\x20received"
        r"|\x20HTTP/1\.[01]\"\x20(?:5\d\d|429)\x20"
        r"|MaxRetryError|connection-failed|connection-timeout|incomplete-download"
        r"|\[(?:Errno|WinError)\x20(?:104|110|111|-2|-3|-5|8|11001|11004|10054|10060|10061)\]"
        r"|getaddrinfo\x20failed|Temporary\x20failure\x20in\x20name\x20resolution"
        r"|Connection\x20interrupted\x20while\x20downloading|Retrying\x20\(Retry\(total="
        r"|Could\x20not\x20fetch\x20URL|issue\x20with\x20network\x20connectivity,\x20not\x20pip",
        "docs/failure-kinds.md §B network-transient (urllib3 1.x/2.x reprs; pip>=25.1/26.2 refs)",
        needles=(
            "HTTP error 5",
            "HTTP error 429",
            "Server Error",
            "429 Client",
            "error responses",
            "ResponseError(",
            "TimeoutError",
            "NewConnectionError",
            "NameResolutionError",
            "RemoteDisconnected",
            "ConnectionResetError",
            "ConnectionRefusedError",
            "IncompleteRead",
            "Connection broken",
            "ProtocolError",
            "SSLEOFError",
            "SSLError(",
            "UNEXPECTED_EOF",
            "ChunkedEncodingError",
            "timed out",
            "socket.timeout",
            "not enough bytes",
            '" 5',
            '" 429 ',
            "MaxRetryError",
            "connection-failed",
            "connection-timeout",
            "incomplete-download",
            "Errno",
            "WinError",
            "getaddrinfo",
            "name resolution",
            "Connection interrupted",
            "Retrying (",
            "Could not fetch URL",
            "network connectivity",
        ),
    ),
    # --- not-found (a symptom: classify looks for its cause, §B and §E not-found) -----------
    _rule(
        K.NOT_FOUND,
        r"Could\x20not\x20find\x20a\x20(?:final\x20)?version\x20that\x20satisfies"
        r"|No\x20matching\x20distribution\x20found",
        "docs/failure-kinds.md §E not-found (symptom of every index-page failure, §B)",
        needles=("Could not find a", "No matching distribution"),
    ),
    _rule(
        K.NOT_FOUND,
        r"fatal:\x20repository\x20'[^'\n]{1,2048}'\x20not\x20found|fatal:\x20Remote\x20branch\x20\S{1,256}"
        r"\x20not\x20found|did\x20not\x20match\x20any\x20file\(s\)\x20known\x20to\x20git",
        "docs/failure-kinds.md §E not-found: git cannot find the repository, branch or revision"
        " of a VCS requirement",
        needles=("fatal: repository", "fatal: Remote branch", "known to git"),
    ),
    # --- build failures: classify re-reads the nested output first (§E build-failure) -------
    _rule(
        K.BUILD_FAILURE,
        r"subprocess-exited-with-error|metadata-generation-failed|legacy-install-failure"
        r"|failed-wheel-build-for-install|failed-build-dependency-install|backend-unavailable"
        r"|(?:missing|invalid)-pyproject-build-system-requires|venv-(?:creation|import)-error"
        r"|Failed\x20building\x20wheel\x20for|Failed\x20to\x20build\x20|Could\x20not\x20build\x20wheels"
        r"|Command\x20errored\x20out\x20with\x20exit\x20status|did\x20not\x20run\x20successfully"
        r"|\x20exited\x20with\x20-?\d|\.\.\.\x20error$|error:\x20command\x20'[^'\n]{1,512}'\x20failed"
        r"|fatal\x20error:|Microsoft\x20Visual\x20C\+\+|invalid\x20command\x20'bdist_wheel'"
        r"|Cannot\x20find\x20command\x20'[^'\n]{1,64}'|No\x20\.egg-info\x20directory\x20found"
        r"|Can\x20not\x20execute\x20`setup\.py`|missing\x20the\x20'build_editable'\x20hook"
        r"|can't\x20find\x20Rust\x20compiler|Command\x20\"[^\"\n]{1,2048}\"\x20failed\x20with\x20error\x20code"
        r"|metadata\x20generation\x20failed|has\x20inconsistent\x20[\w-]{1,64}:",
        "docs/failure-kinds.md §E build-failure (<=21 'Command errored out', >=22 references;"
        " setuptools-rust's 'can't find Rust compiler'; pip <= 18 'Command \"python setup.py"
        " egg_info\" failed with error code 1')",
        needles=(
            "-error",
            "failed-",
            "-failed",
            "-failure",
            "backend-unavailable",
            "-requires",
            "Failed",
            "Could not build",
            "Command errored out",
            "did not run successfully",
            "exited with",
            "... error",
            "error: command",
            "fatal error:",
            "Rust compiler",
            "Cannot find command",
            "egg-info directory",
            "Can not execute",
            "build_editable",
            "failed with error code",
            "Visual C++",
            "bdist_wheel",
            "metadata generation failed",
            "inconsistent",
        ),
    ),
    # --- generic OSError without a known errno ----------------------------------------------
    _rule(
        K.UNKNOWN,
        r"Could\x20not\x20install\x20packages\x20due\x20to\x20an\x20(?:OSError|EnvironmentError)",
        "docs/failure-kinds.md §F: OSError (>=21.0) / EnvironmentError (<=20.3), no known errno",
        needles=("Could not install packages due to an",),
    ),
)

#: Literal pre-filter: a line is matched against :data:`RULES` only if it holds one of these.
TRIGGERS: tuple[str, ...] = (
    # pip prefixes its errors and warnings (ERROR:, error:, WARNING:) and exception names end in
    # "Error"; the rest cover the decisive lines that carry neither.
    "rror",
    "RROR",
    "WARN",
    "Errno",
    "Could not",
    "Hint",
    "BadZip",
    "User for",
    "IncompleteRead",
    "KeyboardInterrupt",
    "HASHES",
    "Skipping",
    "Retrying",
    "different Python",
    "located at",
    "exceptions.",  # the last line of a traceback: pip._internal.exceptions.<Class>: ...
    # pip <= 18 printed many errors without a prefix; build tools and git print their own.
    "hashes",
    "Invalid",
    "externally",
    "Cannot uninstall",
    "running Python",
    "ssl module",
    "not enough bytes",
    "fatal:",
    "package versions",
    "maximum depth",
    "PEP 668",
    "network connectivity",
    "(publickey",
    'HTTP/1.1" ',  # urllib3's -v line: https://host:443 "GET /simple/x/ HTTP/1.1" 503 0
    "no such option",  # pip's command-line errors (optparse's wording)
    "--python option must",
    "option requires",
    ": invalid ",
)
