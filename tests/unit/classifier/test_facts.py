"""What the next step quotes from pip's log: origin, releases, Requires-Python (issue 17)."""

from __future__ import annotations

from safepip.classifier import classify
from safepip.classifier.facts import gather
from safepip.classifier.normalize import normalize

NOT_FOUND = """\
Looking in indexes: http://127.0.0.1:9/simple
Collecting bench-a==1.0 (from -r r.txt (line 1))
ERROR: Could not find a version that satisfies the requirement bench-d==9.9 (from versions: 1.0, 10.0, 2.0rc1, 1.5)
ERROR: No matching distribution found for bench-d==9.9
"""

UNKNOWN = """\
Could not fetch URL http://127.0.0.1:9/simple/reqests/: 404 Client Error: Not Found for url: http://127.0.0.1:9/simple/reqests/ - skipping
ERROR: Could not find a version that satisfies the requirement reqests (from versions: none)
ERROR: No matching distribution found for reqests
"""

PYTHON = """\
  Link requires a different Python (3.11.7 not in: '>=4'): http://h/files/p-3.0-py3-none-any.whl
ERROR: Ignored the following versions that require a different python version: 2.5 Requires-Python >=3.12; 3.0 Requires-Python >=4
ERROR: Could not find a version that satisfies the requirement bench-py>=2.5 (from versions: 1.0, 2.0)
ERROR: No matching distribution found for bench-py>=2.5
"""

PATH_IN_FILE = """\
ERROR: Invalid requirement: './libs/mypkg': Expected package name at the start of dependency specifier
    ./libs/mypkg
    ^ (from line 3 of reqs/dev.txt)
Hint: It looks like a path. File './libs/mypkg' does not exist.
"""


def test_versions_newest_first_and_the_file_the_user_named() -> None:
    facts = gather(normalize(NOT_FOUND), "bench-d", None, {"bench-d": "r.txt, line 2"})
    assert facts.requirement == "bench-d==9.9"
    assert facts.versions == ("10.0", "2.0rc1", "1.5", "1.0")
    assert facts.origin == "r.txt, line 2"
    hint = classify(NOT_FOUND, returncode=1, origins={"bench-d": "r.txt, line 2"}).hint
    assert "`bench-d==9.9` (r.txt, line 2)" in hint
    assert "the newest it has: 10.0, 2.0rc1, 1.5, 1.0" in hint


def test_pip_collected_origin_wins_and_parents_are_named() -> None:
    log = normalize("Collecting bench-a==1.0 (from -r reqs/a.txt (line 7))\n")
    assert gather(log, "bench_a", None, {"bench-a": "x"}).origin == "reqs/a.txt, line 7"
    log = normalize("Collecting dep>=2 (from app==1.0)\n")
    assert gather(log, "dep", None).origin == "required by app==1.0"


def test_unknown_project_names_the_index() -> None:
    facts = gather(normalize(UNKNOWN), "reqests", None)
    assert facts.versions == ()
    assert facts.unknown_at == "http://127.0.0.1:9/simple"
    assert "has no project named reqests" in classify(UNKNOWN, returncode=1).hint


def test_python_incompatible_newest_skipped_and_best_release() -> None:
    facts = gather(normalize(PYTHON), "bench-py", None)
    assert facts.needs_python == ("3.0", ">=4")
    assert facts.running_python == "3.11.7"
    hint = classify(PYTHON, returncode=1).hint
    assert "bench-py 3.0 requires Python >=4 (this is Python 3.11.7)" in hint
    assert "pin `bench-py==2.0`" in hint


def test_plain_path_gets_its_line_and_no_conda_story() -> None:
    diagnosis = classify(PATH_IN_FILE, returncode=1)
    assert diagnosis.kind.value == "local-path-missing"
    assert "./libs/mypkg (reqs/dev.txt, line 3) does not exist" in diagnosis.hint
    assert "conda" not in diagnosis.hint


def test_conda_path_points_to_fix_requirements_on_the_users_file() -> None:
    log = (
        "Processing /tmp/build/80754af9/demo_1/work (from -r reqs/prod.txt (line 4))\n"
        "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or"
        " directory: '/tmp/build/80754af9/demo_1/work'\n"
    )
    hint = classify(log, returncode=1).hint
    assert "(reqs/prod.txt, line 4)" in hint
    assert "safepip fix-requirements reqs/prod.txt -o fixed.txt" in hint


def test_missing_editable_path_is_a_path_not_an_invalid_requirement() -> None:
    log = "ERROR: ./no-such-dir is not a valid editable requirement. It should either be a path\n"
    diagnosis = classify(log, returncode=1, origins={"./no-such-dir": "the command line"})
    assert diagnosis.kind.value == "local-path-missing"
    assert diagnosis.paths == ("./no-such-dir",)
    assert "(on the command line)" in diagnosis.hint
    named = classify("ERROR: demo is not a valid editable requirement. It should", returncode=1)
    assert named.kind.value == "invalid-requirement"


def test_syntax_error_build_is_not_a_compiler_problem() -> None:
    log = (
        "Collecting old==1.0\n"
        "  error: subprocess-exited-with-error\n"
        "  \n"
        "  \u00d7 Getting requirements to build wheel did not run successfully.\n"
        "  \u2502 exit code: 1\n"
        "  \u2570\u2500> [3 lines of output]\n"
        '      File "setup.py", line 6\n'
        "      SyntaxError: invalid syntax\n"
        "      [end of output]\n"
        "ERROR: Failed to build 'old' when getting requirements to build wheel\n"
    )
    hint = classify(log, returncode=1).hint
    assert "Building old" in hint
    assert "SyntaxError" in hint
    assert "compiler" not in hint
