"""Stand-in for an assignment's checks in `make grade`'s sandboxed kernel (see grader/kernel.py).

The checks run in the sealed judge, before the kernel starts; their source is not in this sandbox.
`_grader.check_<part>(fn)` returns the judge's verdict on that part as a check would: None when it
passed, else the message, from the verdicts.json the grader writes beside this file (read-only here).
Learner code can call or replace these: the judge's verdict decides the points either way.
"""
import json
from pathlib import Path


def __getattr__(name):
    if not name.startswith("check_"):
        raise AttributeError(name)

    def check(fn):
        verdicts = json.loads(Path(__file__).with_name("verdicts.json").read_text())
        return verdicts.get(name, "the grader's sealed re-check has no verdict for this part")
    return check
