"""The install loop: run pip, classify, plan a remedy, apply it, wait, run again, report.

:mod:`~safepip.install.loop` drives it with every side effect injected;
:mod:`~safepip.install.remedies` is the pure plan; :mod:`~safepip.install.retry` the backoff (the
only tenacity import). The package itself imports nothing: ``safepip diagnose`` plans with the
remedies without loading the loop, and ``safepip.Installer`` loads the loop on first use.
"""
