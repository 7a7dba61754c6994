#!/bin/sh
# Install a project's requirements with safepip, then print what happened from its JSON report.
#
# Scenario: a terminal or a CI step that used to run `pip install -r requirements.txt` (perhaps in
# a blind `for i in 1 2 3` retry loop). safepip retries only what a retry can fix, repairs pip's
# cache precisely, and writes a JSON report; this script turns the report into three lines a
# human reads at a glance, and exits with the status of `safepip install` (pip's own on failure).
#
# Run:
#     sh examples/install.sh                          # ./requirements.txt
#     sh examples/install.sh requirements/dev.txt     # another requirements file
#     sh examples/install.sh requirements.txt --index-url https://mirror.example/simple
#         (every argument after the requirements file goes to pip install)
#
# Settings (environment): SAFEPIP_REPORT (report path, default safepip-report.json), PYTHON
# (interpreter that reads the report, default python3), and any SAFEPIP_* option of safepip,
# e.g. SAFEPIP_ATTEMPTS=6 or SAFEPIP_PYTHON=/path/to/venv/bin/python.
set -u

requirements="${1:-requirements.txt}"
[ "$#" -gt 0 ] && shift
report="${SAFEPIP_REPORT:-safepip-report.json}"
python="${PYTHON:-python3}"

# A stale report from an earlier run must never be mistaken for this one.
rm -f "${report}"

status=0
safepip install --report-json "${report}" -r "${requirements}" "$@" || status=$?

if [ ! -f "${report}" ]; then
    # No report: safepip stopped before running pip (a usage error, exit 2) or crashed (exit 3).
    echo "install.sh: no report written; safepip exited with status ${status}" >&2
    exit "${status}"
fi

"${python}" - "${report}" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    doc = json.load(handle)
attempts = doc["attempts"]
print(f"outcome: {doc['outcome']} (exit status {doc['returncode']}, {len(attempts)} attempt(s))")
for attempt in attempts:
    diagnosis = attempt["diagnosis"]
    kind = diagnosis["kind"] if diagnosis else "ok"
    remedies = ", ".join(r["action"] for r in attempt["remedies"]) or "-"
    print(f"  attempt {attempt['number']}: {kind}; remedies: {remedies}; {attempt['duration']:.1f}s")
final = doc["diagnosis"]
if doc["outcome"] not in ("success", "recovered") and final:
    print(f"kind:    {final['kind']}")
    for line in final["evidence"][-2:]:
        print(f"  {line.strip()}")
    if final["hint"]:
        print(f"next:    {final['hint']}")
PY

exit "${status}"
