"""The classifier's auxiliary patterns: what to read around the decisive line, and a few sets.

:mod:`safepip.classifier.rules` says what a line *is* (its ordered signature table); this module
holds the patterns that read *context and details* around it (the success line, warning lines,
errno paths, the hash block, fetch and progress lines, URLs, package names, timestamps) and the
kind sets the decision uses (which kinds a build's nested output passes on, which warnings may
decide or explain a not-found). Every pattern uses bounded repetitions only and runs on bounded
lines (or, where it reads the whole text, is a single linear pass).
"""

from __future__ import annotations

import re

from safepip import lazyre
from safepip.classifier.rules import CACHE_LAYOUT
from safepip.model import FailureKind

K = FailureKind

#: pip's success line: hits before the last one belong to an earlier, successful pip run.
SUCCESS = lazyre.compile(r"^\s{0,8}Successfully\x20installed\b")

#: Warning and debug lines (weak evidence) whatever the rule says.
WEAK_LINE = lazyre.compile(
    r"^\s{0,12}(?:WARNING:|Could\x20not\x20fetch\x20URL|Skipping\x20page|Retrying\x20\(|Found\x20link"
    r"|Looking\x20up|Ignoring\x20|https?://\S{1,512}\x20\"[A-Z]{3,7}\x20|note:\x20)",
    re.VERBOSE,
)

#: An errno marker and the path quoted after it (the strerror between is localised, §D);
#: groups: the code, the path.
ERRNO_PATH = lazyre.compile(
    r"\[(?:Errno|WinError)\x20(-?\d{1,6})\][^'\"\n]{0,300}:\x20['\"]([^'\"\n]{1,4096})['\"]",
    re.VERBOSE,
)

#: A path inside pip's cache: ``wheels/ab/cd/ef/...`` or ``http(-v2)/a/b/c/d/e/...`` (§A).
CACHE_PATH = lazyre.compile(CACHE_LAYOUT, re.VERBOSE)

#: The path of pip's own local-path messages (§E local-path-missing); group 1 the path.
LOCAL_PATH = lazyre.compile(
    r"(?:File|Requirement)\x20'([^'\n]{1,4096})'\x20(?:does\x20not\x20exist|looks\x20like\x20a\x20filename)"
    r"|(?:^|[\s:])((?:\.{1,2}[\\/]|[\\/~]|[A-Za-z]:[\\/]|file:)\S{0,4096}?)\x20is\x20not\x20a\x20valid\x20editable",
    re.VERBOSE,
)

#: A member of a wheel named by a zip error (``Bad CRC-32 for file 'idna-3.10.dist-info/RECORD'``):
#: groups: the project, the version of the wheel it belongs to.
ARCHIVE_MEMBER = lazyre.compile(
    r"for\x20file\x20'([A-Za-z0-9][A-Za-z0-9_.]{0,200}?)-(\d[\w.+!]{0,64})\.(?:dist-info|data)/",
    re.VERBOSE,
)

#: ``Wheel 'x' located at <path> is invalid``; group 1 the path.
INVALID_WHEEL = lazyre.compile(r"located\x20at\x20(.{1,4096}?)\x20is\x20invalid", re.VERBOSE)

#: The hash block (§C): requirement line, Expected values and Got.
HASH_REQ = lazyre.compile(
    r"^\s{1,16}(\S{1,512}?)\x20from\x20(\S{1,4096}?)(?:\x20\(from\x20.{0,1024})?:?$", re.VERBOSE
)
HASH_REQ_BARE = lazyre.compile(r"^\s{1,16}(\S{1,512}?)(?:\x20\(from\x20.{0,1024})?:$", re.VERBOSE)
HASH_EXPECTED = lazyre.compile(
    r"^\s{0,16}Expected\s{1,16}(?:sha(?:1|224|256|384|512)|md5|or)\s{1,16}([0-9a-fA-F]{16,128})\s*$",
    re.VERBOSE,
)
HASH_GOT = lazyre.compile(r"^\s{0,16}Got\s{1,16}([0-9a-fA-F]{16,128})\s*$", re.VERBOSE)

#: ``Using cached <url-or-file> [(<size>)]`` / ``Downloading <url-or-file> [(<size>)]`` (§A);
#: not the debug line ``Using cached wheel link: <url>`` (:data:`CACHED_WHEEL_LINK`).
FETCH = lazyre.compile(
    r"^\s{0,12}(Using\x20cached|Downloading)\x20(?!wheel\x20link:)(\S{1,4096})"
    r"(\x20\([^)\n]{1,40}\))?",
    re.VERBOSE,
)
#: pip's debug line (``--log`` only, pip 22.0-26.3) naming the ``wheels/`` file of a wheel it
#: built earlier: ``Using cached wheel link: file:///<cache>/wheels/aa/bb/cc/<rest>/x.whl``;
#: group 1 the URL. The console says only ``Using cached x.whl`` (§A).
CACHED_WHEEL_LINK = lazyre.compile(
    r"^\s{0,12}Using\x20cached\x20wheel\x20link:\x20(file:\S{1,4096})", re.VERBOSE
)
#: A progress bar's ``done/total unit`` (rich ``━━╸ 402.7/755.5 MB``; the console only; pip
#: 22.0's rich wrote ``KB``).
PROGRESS = lazyre.compile(
    r"\x20(\d{1,9}(?:\.\d{1,3})?)/(\d{1,9}(?:\.\d{1,3})?)\x20(?:bytes|[kK]B|MB|GB)\b", re.VERBOSE
)
#: pip <= 21's bar (``|██████▏ | 10.6 MB 10 kB/s``): the bytes so far, no total; the total is the
#: size its ``Downloading`` line announced (both written by pip's ``format_size``).
LEGACY_PROGRESS = lazyre.compile(
    r"\|[\u2588-\u258f\x20]{1,200}\|\x20(\d{1,9}(?:\.\d{1,3})?)\x20(bytes|[kK]B|MB|GB)\b"
)
#: The size a ``Downloading`` line announced: ``(11.2 MB)``.
ANNOUNCED_SIZE = lazyre.compile(r"\((\d{1,9}(?:\.\d{1,3})?)\x20(bytes|[kK]B|MB|GB)\)")
#: A connection that broke mid-body: urllib3's ``IncompleteRead(`` / ``ProtocolError('Connection
#: broken: ...')``, pip >= 25.1's ``Connection interrupted while downloading`` (§C step 4).
BROKE_MID_BODY = lazyre.compile(
    r"IncompleteRead\(|Connection\x20broken:|Connection\x20interrupted\x20while\x20downloading"
)
#: ``Processing <path>`` (§D local-path-missing context).
PROCESSING = lazyre.compile(r"^\s{0,12}Processing\x20(\S{1,4096})", re.VERBOSE)
#: ``Collecting <req>`` or (``--log``) ``1 location(s) to search for versions of <name>:``.
COLLECTING = lazyre.compile(
    r"^\s{0,12}(?:Collecting\x20|\d{1,4}\x20location\(s\)\x20to\x20search\x20for\x20versions\x20of\x20)"
    r"([A-Za-z0-9][A-Za-z0-9._-]{0,200})",
    re.VERBOSE,
)
#: ``Collecting dep (from demo)``: a dependency, not a requirement the user gave (pip >= 23.1).
FROM_PARENT = lazyre.compile(r"\x20\(from\x20(?!-r\x20|-c\x20)", re.VERBOSE)
#: ``Found link <url>[#sha256=<h>] (from <page>)...`` in pip's --log file (§I).
FOUND_LINK = lazyre.compile(
    r"Found\x20link\x20([^\s#]{1,4096})(?:\#sha256=([0-9a-f]{64}))?[^\s]{0,512}\x20", re.VERBOSE
)
#: ``Skipping page <url>`` and ``Could not fetch URL <url>:`` (index page URLs).
PAGE_URL = lazyre.compile(
    r"(?:Skipping\x20page|Could\x20not\x20fetch\x20URL)\x20(\S{1,4096}?):?\x20", re.VERBOSE
)
#: ``/simple/<project>/`` in a Retrying, Could not fetch URL or Skipping page line.
SIMPLE_PAGE = lazyre.compile(r"/simple/([A-Za-z0-9][A-Za-z0-9._-]{0,200})/", re.VERBOSE)
#: Any http(s) URL (for HTTP errors, incomplete downloads).
URL = lazyre.compile(r"https?://[^\s'\"<>()]{1,4096}", re.VERBOSE)
#: urllib3's ``HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: /path``
#: (and the ``Retrying ... ': /path`` form); groups: scheme, host, port, path.
POOL_URL = lazyre.compile(
    r"(HTTPS?)ConnectionPool\(host='([^'\s]{1,256})',\x20port=(\d{1,5})\)"
    r"(?::\x20Max\x20retries\x20exceeded\x20with\x20url:\x20|.{0,2048}?'\)?:\x20)(/\S{0,4096})",
    re.VERBOSE,
)
#: ``The user requested <name>...`` under ``The conflict is caused by:`` (§E resolution-conflict).
USER_REQUESTED = lazyre.compile(
    r"The\x20user\x20requested\x20([A-Za-z0-9][A-Za-z0-9._-]{0,200})", re.VERBOSE
)
#: User-supplied hash pins are in play (§C: Expected values are then the user's).
#: A name-resolution failure (urllib3 1.x and 2.x, Linux, musl and Windows spellings).
DNS_FAILURE = lazyre.compile(
    r"\[(?:Errno|WinError)\x20(?:-2|-3|-5|11001|11004)\]|NameResolutionError"
    r"|Temporary\x20failure\x20in\x20name\x20resolution|getaddrinfo\x20failed",
    re.VERBOSE,
)
#: Literals of a container image build's own output (docker build, BuildKit, compose).
CONTAINER_BUILD = ("/bin/sh -c ", "=> [", "failed to solve", "\nRUN ", " RUN ", "Dockerfile:")
#: ``--proxy`` given to pip on its command line (not passed on to a build environment's pip
#: by the pip versions of pypa/pip#6018).
PROXY_OPTION = lazyre.compile(r"(?:^|\s)--proxy[=\x20]\S", re.VERBOSE | re.MULTILINE)

#: pipenv always installs with the hashes of its Pipfile.lock (its wrapper prefixes, lock name
#: and temporary requirement files say pipenv is driving pip).
USER_HASHES = lazyre.compile(
    r"--require-hashes|--hash[=\x20]sha256:|Pipfile\.lock|\[pipenv\.exceptions"
    r"|pipenv-\w{1,16}-(?:hashed-reqs|requirements?)",
    re.VERBOSE,
)

#: The project of a not-found line (§E not-found); group 1 the name, group 2 a version.
NOT_FOUND_PROJECT = (
    lazyre.compile(
        r"satisfies\x20the\x20requirement\x20([A-Za-z0-9][A-Za-z0-9._-]{0,200})(?:[=<>!~]=?([\w.+!-]{1,64}))?",
        re.VERBOSE,
    ),
    lazyre.compile(
        r"No\x20matching\x20distribution\x20found\x20for\x20([A-Za-z0-9][A-Za-z0-9._-]{0,200})"
        r"(?:[=<>!~]=?([\w.+!-]{1,64}))?",
        re.VERBOSE,
    ),
)

#: Where the package name sits in a decisive line; group 1 is the name (and group 2 a version).
PACKAGE = (
    *NOT_FOUND_PROJECT,
    lazyre.compile(r"Invalid\x20requirement:\x20'([A-Za-z0-9][A-Za-z0-9._-]{0,200})", re.VERBOSE),
    lazyre.compile(
        r"(?:80754af9|feedstock_root[\\/]{1,2}build_artifacts|croot|conda-bld|abs_[\w]{0,40})[\\/]{1,2}"
        r"([A-Za-z0-9][A-Za-z0-9.-]{0,200}?)_\d{1,20}[\\/_]",
        re.VERBOSE,
    ),
    lazyre.compile(
        r"Cannot\x20uninstall\x20'?([A-Za-z0-9][A-Za-z0-9._-]{0,200})'?(?:\x20([\w.+!-]{1,64}))?",
        re.VERBOSE,
    ),
    lazyre.compile(r"projects\x20\(([A-Za-z0-9][A-Za-z0-9._-]{0,200})[,)]", re.VERBOSE),
    lazyre.compile(
        r"Failed\x20(?:building\x20wheel\x20for|to\x20build)\x20(?!installable\x20)'?"
        r"([A-Za-z0-9][A-Za-z0-9._-]{0,200})",
        re.VERBOSE,
    ),
    lazyre.compile(r"Package\x20'([A-Za-z0-9][A-Za-z0-9._-]{0,200})'\x20requires", re.VERBOSE),
    lazyre.compile(r"Wheel\x20'([A-Za-z0-9][A-Za-z0-9._-]{0,200})'\x20located", re.VERBOSE),
    lazyre.compile(
        r"[\\/]([A-Za-z0-9][A-Za-z0-9._]{0,200})-([0-9][\w.+!]{0,64})\.(?:dist|egg)-info\b",
        re.VERBOSE,
    ),
    lazyre.compile(
        r"(?:site|dist)-packages[\\/]{1,2}([A-Za-z_][A-Za-z0-9_]{0,200})(?:[\\/'\"]|$)",
        re.VERBOSE,
    ),
    lazyre.compile(
        r"(?:^|[\\/\s])([A-Za-z0-9][A-Za-z0-9._]{0,200})-([0-9][\w.+!]{0,64})(?:-[\w.]{1,64}){2,3}"
        r"\.whl\b",
        re.VERBOSE,
    ),
    lazyre.compile(
        r"(?:^|[\\/\s])([A-Za-z0-9][A-Za-z0-9._-]{0,200})-([0-9][\w.+!]{0,64})\.(?:tar\.gz|zip)\b",
        re.VERBOSE,
    ),
)

#: A ``--log`` or GitHub Actions timestamp at the start of a raw line; groups: day of month,
#: hours, minutes, seconds, fraction.
TIMESTAMP = lazyre.compile(r"\d{4}-\d\d-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?")
#: pip fetches an index page with urllib3 retries whose 5xx retries print nothing (§B.1); with
#: the default --retries 5 the backoff sleeps 0.5 + 1 + 2 + 4 s. A bare "from versions: none"
#: after this much silence is that backoff, not a missing project (seen in the nested pip of a
#: build step, whose debug lines never reach the log).
SILENT_RETRY_SECONDS = 5.0
SILENT_RETRY_RULE = "docs/failure-kinds.md §B.1: silent 5xx retries before 'from versions: none'"

#: Kinds that a failure inside nested build output passes on to the whole run (§E build-failure:
#: build dependencies are fetched by a nested pip).
NESTED_PROPAGATES = frozenset(
    {
        K.NETWORK_TRANSIENT,
        K.NETWORK_CONFIG,
        K.CACHE_CORRUPT,
        K.DOWNLOAD_CORRUPT,
        K.HASH_PIN_MISMATCH,
        K.SSL_CERT,
        K.SSL_MISSING,
        K.AUTH,
        K.DISK_FULL,
        K.NOT_FOUND,
    }
)

#: Warning-level kinds that explain a later ``from versions: none`` (§E not-found, §B).
NOT_FOUND_CAUSES = frozenset(
    {
        K.NETWORK_TRANSIENT,
        K.NETWORK_CONFIG,
        K.SSL_CERT,
        K.SSL_MISSING,
        K.AUTH,
        K.CACHE_CORRUPT,
        K.PYTHON_INCOMPATIBLE,
        K.LOCAL_PATH_MISSING,
    }
)

#: Kinds a warning or debug line may decide alone when no error line does: the causes of a
#: bare not-found, and the index's own 404 for the project (``-v``: ``Could not fetch URL``).
WEAK_DECIDES = NOT_FOUND_CAUSES | {K.NOT_FOUND}
