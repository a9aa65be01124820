"""Check every quiz bank: `python -m helpers.quiz validate [bank ...]`.

Loads each bank (schema, rules, computed answers), runs every
predict-the-output snippet, checks that lesson banks are complete and that
sections.yaml places every topic of the course's banks, and prints
one line per bank: `<bank>: N questions (easy E, medium M, hard H)`.
Exits 1 if any bank has a problem, 2 on a usage error.
"""
import argparse
import sys
from pathlib import Path

from helpers.quiz.bank import BANKS_DIR, BankError, bank_names, coverage_problems, load_bank_file
from helpers.quiz.sections import section_problems


def validate(names=None, directory=BANKS_DIR):
    """Check the named banks (all if none); print a line each; return how many failed."""
    directory = Path(directory)
    failed = 0
    for name in names or bank_names(directory):
        path = directory / f"{name}.yaml"
        try:
            if not path.is_file():
                raise ValueError(f"no bank file {path}")
            bank = load_bank_file(path)
        except (BankError, ValueError, OSError) as err:
            failed += 1
            print(f"{name}: FAILED\n  " + str(err).replace("\n", "\n  "), file=sys.stderr)
            continue
        problems = coverage_problems(bank)
        if directory.resolve() == BANKS_DIR.resolve():  # sections.yaml is about these banks
            problems += section_problems(bank)
        if problems:
            failed += 1
            print(f"{bank.summary_line()}: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
        else:
            print(bank.summary_line())
    return failed


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.quiz",
                                     description="Tools for the course quizzes.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate", help="check banks and run every predict-the-output snippet")
    check.add_argument("banks", nargs="*",
                       help="bank names, e.g. 01_overfitting_metrics (default: all)")
    check.add_argument("--dir", default=str(BANKS_DIR),
                       help="folder of bank files (default: the course's banks)")
    args = parser.parse_args(argv)
    if not args.banks and not bank_names(args.dir):
        print(f"no quiz banks (*.yaml) found in {args.dir}", file=sys.stderr)
        return 1
    return 1 if validate(args.banks, args.dir) else 0


if __name__ == "__main__":
    sys.exit(main())
