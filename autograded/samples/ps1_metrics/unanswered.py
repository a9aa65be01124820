"""The released notebook handed in unchanged: every test cell fails, the total is 0."""
# answers: unanswered
# expect-fail: *: is not written yet
