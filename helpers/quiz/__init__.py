"""Quizzes for the lesson notebooks: questions kept as data, checked, explained, saved.

In a notebook::

    from helpers.quiz import show_quiz, show_progress
    show_quiz("01_overfitting_metrics")                  # the whole quiz
    show_quiz("02_weight_decay", n=5)                    # 5 questions at random
    show_quiz("04_param_groups", difficulty="hard")      # only the hard ones
    show_progress()                                      # mastery by topic, tests, all lessons
    show_test()                                          # "Test yourself": 10 questions
    show_test("02_weight_decay")                         # ... from one lesson
    show_review()                                        # the questions due for review

Questions live in `helpers/quiz/banks/<lesson>.yaml`, one file per lesson,
checked when loaded (`python -m helpers.quiz validate` checks them all).

Progress (answers and scores) is saved automatically to the file named by the
environment variable COURSE_PROGRESS_FILE, or else to
`~/.regularization-course/progress.json`; see `helpers.quiz.progress`.
"""
from helpers.quiz.bank import BankError, bank_names, load_bank
from helpers.quiz.progress import progress_path
from helpers.quiz.review import Review, show_review
from helpers.quiz.selftest import SelfTest, show_test
from helpers.quiz.summary import show_progress
from helpers.quiz.widgets import Quiz, show_quiz

__all__ = ["show_quiz", "show_progress", "show_test", "show_review", "load_bank",
           "BankError", "Quiz", "SelfTest", "Review", "bank_names", "progress_path"]
