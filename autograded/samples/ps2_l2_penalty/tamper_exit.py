"""Tamper: train_step_l2 exits Python when called, so the notebook run stops before its tests.

Plain nbgrader cannot finish the notebook. The honest answer (train_step_l2 not
written) earns 7/10, and so does this one.
"""
# pipeline-only: plain nbgrader's autograde fails on the dead kernel
# expect-status: needs review
# expect-reason: ended the Python process
# expect-reason: os._exit
# expect-fail: test_train_step_returns_data_loss: ended the Python process
# expect-fail: test_train_step_update: ended the Python process
# %% train_step_l2
import os


def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    os._exit(0)
