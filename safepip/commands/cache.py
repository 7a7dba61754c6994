"""``safepip cache purge|verify``: the manual cache remedies.

``purge NAME[==VERSION]`` removes every cache entry of a project, which ``pip cache remove``
does not (it never touches the HTTP cache, docs/failure-kinds.md §A); ``purge --all`` is the
full purge, only ever on request (docs/architecture.md §5). ``verify`` finds corrupt entries (the
shapes of docs/failure-kinds.md §A) and ``--fix`` removes exactly those. Deletion goes through
``cache.delete``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import TYPE_CHECKING

from safepip.cache import layout as cache
from safepip.cache.delete import DeleteReport, delete
from safepip.cache.entries import root_exists
from safepip.cache.purge import (
    PurgeItem,
    parse_target,
    plan_all,
    plan_purge,
)
from safepip.cache.verify import verify
from safepip.errors import UsageError
from safepip.pipargs import add_seconds_option, default_python
from safepip.pipfacts import Query, configured_indexes, read_config
from safepip.report.lines import count
from safepip.report.redact import redact

if TYPE_CHECKING:
    from pathlib import Path
    from typing import TextIO


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``purge`` and ``verify`` subcommands and their options."""
    _common(parser, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="action", metavar="{purge,verify}")
    sub.required = True
    purge = sub.add_parser(
        "purge",
        help="remove every cache entry of packages",
        description="Remove a project's index pages, downloaded files (found by URL and by "
        "content, in http-v2/ and the old http/) and locally built wheels. NAME==VERSION keeps "
        "other versions' files; the project's index page goes either way.",
    )
    _common(purge, argparse.SUPPRESS)
    purge.add_argument("packages", nargs="*", metavar="NAME[==VERSION]", help="projects to purge")
    purge.add_argument("--all", action="store_true", help="purge the whole HTTP and wheel cache")
    purge.add_argument("--dry-run", action="store_true", help="show what would go, delete nothing")
    purge.add_argument("--json", action="store_true", help="print a JSON document")
    purge.add_argument(
        "-i",
        "--index-url",
        action="append",
        default=[],
        metavar="URL",
        help="an index whose /<name>/ page to purge (default: pip's)",
    )
    purge.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index whose page to purge (repeatable)",
    )
    check = sub.add_parser(
        "verify",
        help="find (and with --fix remove) corrupt cache entries",
        description="Find empty or truncated bodies, half entries, unreadable metadata, invalid "
        "built wheels and stale pip temp files. Exit status 1 when any is found (without --fix).",
    )
    _common(check, argparse.SUPPRESS)
    check.add_argument("--fix", action="store_true", help="remove the corrupt entries found")
    check.add_argument("--dry-run", action="store_true", help="with --fix: delete nothing")
    check.add_argument("--json", action="store_true", help="print a JSON document")
    add_seconds_option(
        check,
        "--stale-after",
        default=600.0,
        text="age after which a pip temp file counts as stale (default 600; more than 0)",
    )


def _common(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--cache-dir",
        default=default,
        metavar="DIR",
        help="the pip cache (default: ask the target pip)",
    )
    parser.add_argument(
        "--python",
        default=default,
        metavar="PATH",
        help="whose pip's cache (default: the active venv's python)",
    )


def run(
    options: argparse.Namespace, out: TextIO, err: TextIO, *, query: Query | None = None
) -> int:
    """Run ``cache purge`` or ``cache verify``; return the exit status.

    Args:
        options: the parsed command line.
        out: where the report goes.
        err: where problems go.
        query: asks the target pip (where its cache is, its configuration);
            :func:`safepip.runner.query` by default.

    Raises:
        UsageError: bad arguments, pip's cache is disabled, or its root cannot be looked at.
    """
    if query is None:
        from safepip.runner import query as real  # noqa: PLC0415 - only when pip must be asked

        query = real
    env = dict(os.environ)
    python = getattr(options, "python", None) or default_python(env, sys.executable)
    root = _root(options, python, env, query)
    if options.action == "purge":
        indexes = _indexes(options, python, env, query)
        return _purge(options, root, indexes, out, err)
    return _verify(options, root, out, err)


def _indexes(
    options: argparse.Namespace, python: str, env: dict[str, str], query: Query
) -> list[str]:
    """The indexes whose pages to purge: pip's own (config files too), with the options'."""
    if options.all or not options.packages:
        return []
    config = None if options.index_url else read_config(python, env, query)
    return configured_indexes(
        config, env, index_urls=options.index_url, extra_urls=options.extra_index_url
    )


def _root(options: argparse.Namespace, python: str, env: dict[str, str], query: Query) -> Path:
    root = cache.locate(
        python,
        cache_dir_arg=getattr(options, "cache_dir", None),
        no_cache=False,
        env=env,
        query=query,
    )
    if root is None:
        raise UsageError("pip's cache is disabled (PIP_NO_CACHE_DIR)", hint="pass --cache-dir DIR")
    root_exists(root)  # a root that cannot be looked at (a name too long) is one line, exit 2
    return root


def _purge(
    options: argparse.Namespace, root: Path, indexes: list[str], out: TextIO, err: TextIO
) -> int:
    if options.all and options.packages:
        raise UsageError("give package names or --all, not both")
    if not options.all and not options.packages:
        raise UsageError("nothing to purge", hint="safepip cache purge NAME[==VERSION] ... | --all")
    if options.all:
        items = plan_all(root)
    else:
        targets = [parse_target(spec) for spec in options.packages]
        items = plan_purge(root, targets, indexes)
    report = delete(root, [p for item in items for p in item.paths], dry_run=options.dry_run)
    gone = removed_items(items, report)
    if options.json:
        doc = _delete_doc(root, report, options.dry_run)
        doc["entries"] = [
            {"what": redact(i.what), "paths": list(i.paths), "removed": i in gone} for i in items
        ]
        out.write(json.dumps(doc, indent=2) + "\n")
    else:
        _print_trouble(report, err)
        verb = "would remove" if options.dry_run else "removed"
        _print_purge(items, gone, report, root=root, verb=verb, out=out, each=not options.all)
    return 1 if report.failed or report.refused else 0


def removed_items(items: list[PurgeItem], report: DeleteReport) -> list[PurgeItem]:
    """The items whose every file went (or would go): the only ones reported as removed."""
    deleted = set(report.deleted)
    kept = set(report.refused) | {f.rsplit(": ", 1)[0] for f in report.failed}
    return [
        i
        for i in items
        if any(p in deleted for p in i.paths) and not any(p in kept for p in i.paths)
    ]


def _print_purge(  # noqa: PLR0913 - the parts of one summary
    items: list[PurgeItem],
    gone: list[PurgeItem],
    report: DeleteReport,
    *,
    root: Path,
    verb: str,
    out: TextIO,
    each: bool,
) -> None:
    if each:
        out.writelines(f"{verb}  {redact(item.what)}\n" for item in gone)
    if not items:
        out.write(f"nothing cached for that in {root}\n")
        return
    freed = "would free" if verb.startswith("would") else "freed"
    out.write(
        f"{verb} {count(len(gone), 'entry', 'entries')}"
        f" ({count(len(report.deleted), 'file or directory', 'files or directories')}), "
        f"{freed} {human_size(report.bytes_freed)} in {root}\n"
    )


def _verify(options: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    result = verify(root, stale_after=options.stale_after)
    elapsed = time.perf_counter() - started
    report = None
    if options.fix and result.problems:
        paths = [p for problem in result.problems for p in problem.paths]
        report = delete(root, paths, dry_run=options.dry_run)
    if options.json:
        doc: dict[str, object] = {
            "cache_dir": str(root),
            "checked": result.checked,
            "seconds": round(elapsed, 3),
            "problems": [
                {"reason": p.reason, "paths": list(p.paths), "detail": p.detail}
                for p in result.problems
            ],
            "unreadable": list(result.unreadable),
        }
        if report is not None:
            doc["fix"] = _delete_doc(root, report, options.dry_run)
        out.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.writelines(
            f"corrupt  {problem.reason}  {problem.paths[0]}  ({problem.detail})\n"
            for problem in result.problems
        )
        err.writelines(f"safepip: could not check {what}\n" for what in result.unreadable)
        out.write(
            f"{result.checked} entries checked in {elapsed:.2f} s, "
            f"{len(result.problems)} corrupt in {root}\n"
        )
        if report is not None:
            _print_trouble(report, err)
            verb = "would remove" if options.dry_run else "removed"
            freed = "would free" if options.dry_run else "freed"
            out.write(
                f"{verb} {count(len(report.deleted), 'file or directory', 'files or directories')}"
                ", "
                f"{freed} {human_size(report.bytes_freed)}\n"
            )
        elif result.problems:
            out.write("run `safepip cache verify --fix` to remove them\n")
    if report is not None:
        return 1 if report.failed or report.refused or result.unreadable else 0
    return 1 if result.problems or result.unreadable else 0


def _delete_doc(root: Path, report: DeleteReport, dry_run: bool) -> dict[str, object]:
    return {
        "cache_dir": str(root),
        "dry_run": dry_run,
        "deleted": list(report.deleted),
        "missing": list(report.missing),
        "refused": list(report.refused),
        "failed": list(report.failed),
        "bytes_freed": report.bytes_freed,
    }


def _print_trouble(report: DeleteReport, err: TextIO) -> None:
    err.writelines(f"safepip: refused (not an entry of pip's cache): {p}\n" for p in report.refused)
    err.writelines(f"safepip: could not remove {failure}\n" for failure in report.failed)


def human_size(size: int) -> str:
    """Format a byte count the way pip does (decimal units)."""
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
