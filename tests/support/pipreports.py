"""pip's resolution-conflict reports, one per pip generation, for the conflict tests.

The texts follow pip's source (``factory.get_installation_error`` and
``SpecifierRequirement.format_for_error``) and were checked against real runs of pip 22.0.4,
23.2.1, 24.0 and 26.3 on a local index.
"""

from __future__ import annotations

# pip 22.0: no "(from ...)" on Collecting lines; "allow pip attempt" typo.
PIP22_TRANSITIVE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0
  Downloading http://127.0.0.1:39919/files/a-1.0-py3-none-any.whl (2.1 kB)
Collecting b==2.0
  Downloading http://127.0.0.1:39919/files/b-2.0-py3-none-any.whl (2.1 kB)
Collecting c==1.0
  Downloading http://127.0.0.1:39919/files/c-1.0-py3-none-any.whl (2.1 kB)
INFO: pip is looking at multiple versions of a to determine which version is compatible with other requirements. This could take a while.
ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    b 2.0 depends on c==2.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


# pip 23.x: requirements-file origins on Collecting lines, triggers name the file lines.
PIP23_REQFILE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0 (from -r /tmp/req.txt (line 1))
  Downloading http://127.0.0.1:39919/files/a-1.0-py3-none-any.whl (2.1 kB)
Collecting b==2.0 (from -r /tmp/req.txt (line 2))
  Downloading http://127.0.0.1:39919/files/b-2.0-py3-none-any.whl (2.1 kB)
Collecting c==1.0 (from a==1.0->-r /tmp/req.txt (line 1))
  Downloading http://127.0.0.1:39919/files/c-1.0-py3-none-any.whl (2.1 kB)
INFO: pip is looking at multiple versions of b to determine which version is compatible with other requirements. This could take a while.
ERROR: Cannot install -r /tmp/req.txt (line 1) and -r /tmp/req.txt (line 2) because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    b 2.0 depends on c==2.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


# pip 24.0 --log: every line timestamped, and a backtracking block before the final report.
PIP24_LOG_DIRECT = """\
2026-11-25T20:10:56,570 Collecting a==1.0
2026-11-25T20:10:56,571   Created temporary directory: /tmp/pip-unpack-1
2026-11-25T20:10:56,650 Collecting c==2.0
2026-11-25T20:10:56,661   Downloading http://127.0.0.1:39919/files/c-2.0-py3-none-any.whl (2.1 kB)
2026-11-25T20:10:56,701 INFO: pip is looking at multiple versions of a to determine which version is compatible with other requirements. This could take a while.
2026-11-25T20:10:56,706 Will try a different candidate, due to conflict:
2026-11-25T20:10:56,706     The user requested c==2.0
2026-11-25T20:10:56,706     x 9.9 depends on c==9.9
2026-11-25T20:10:56,706 ERROR: Cannot install a==1.0 and c==2.0 because these package versions have conflicting dependencies.
2026-11-25T20:10:56,707 \n\
2026-11-25T20:10:56,707 The conflict is caused by:
2026-11-25T20:10:56,707     The user requested c==2.0
2026-11-25T20:10:56,707     a 1.0 depends on c==1.0
2026-11-25T20:10:56,707 \n\
2026-11-25T20:10:56,707 To fix this you could try to:
2026-11-25T20:10:56,707 1. loosen the range of package versions you've specified
2026-11-25T20:10:56,707 2. remove package versions to allow pip attempt to solve the dependency conflict

2026-11-25T20:10:56,708 ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
2026-11-25T20:10:56,708 Exception information:
2026-11-25T20:10:56,708 Traceback (most recent call last):
2026-11-25T20:10:56,708 pip._vendor.resolvelib.resolvers.ResolutionImpossible: [RequirementInformation(requirement=SpecifierRequirement('c==2.0'), parent=None)]
"""


# pip 26.x: "(from a==1.0)" on dependency Collecting lines, the "Additionally" list, and a
# multi-part specifier printed as "A, B and C".
PIP26_RANGE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0
  Downloading a-1.0-py3-none-any.whl (2.1 kB)
Collecting c!=3.0,<4,>=2
  Downloading c-2.0-py3-none-any.whl (2.1 kB)
Collecting d (from a==1.0)
  Downloading d-1.0-py3-none-any.whl (2.1 kB)
ERROR: Cannot install a==1.0 and c!=3.0, <4 and >=2 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested c!=3.0, <4 and >=2
    a 1.0 depends on c==1.0

Additionally, some packages in these conflicts have no matching distributions available for your environment:
    c

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


PIP26_CONSTRAINT = """\
Collecting a
  Downloading a-1.0-py3-none-any.whl (2.1 kB)
ERROR: Cannot install a==1.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    The user requested (constraint) c==3.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


# pip >= 25.1 (DiagnosticPipError rendering of ResolutionTooDeepError).
PIP26_TOO_DEEP = """\
Collecting big-app
  Downloading big_app-3.0-py3-none-any.whl (2.1 kB)
error: resolution-too-deep

\u00d7 Dependency resolution exceeded maximum depth
╰─> Pip cannot resolve the current dependencies as the dependency graph is too complex for pip to solve efficiently.

hint: Try adding lower bounds to constrain your dependencies, for example: 'package>=2.0.0' instead of just 'package'.

Link: https://pip.pypa.io/en/stable/topics/dependency-resolution/#handling-resolution-too-deep-errors
"""


NOT_A_CONFLICT = """\
Collecting demo
ERROR: Could not find a version that satisfies the requirement demo (from versions: none)
ERROR: No matching distribution found for demo
"""
