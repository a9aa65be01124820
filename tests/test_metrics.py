"""Do the reference metrics give the textbook numbers and state their 0/0 rules?"""
import pytest
import torch

from helpers import metrics


def test_counts_from_lists_bools_and_tensors_agree():
    y_true, y_pred = [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]
    expected = {"tp": 2, "fp": 1, "fn": 1, "tn": 1}
    assert metrics.confusion_counts(y_true, y_pred) == expected
    assert metrics.confusion_counts([bool(v) for v in y_true], [bool(v) for v in y_pred]) == expected
    assert metrics.confusion_counts(torch.tensor(y_true).view(-1, 1), torch.tensor(y_pred)) == expected


def test_counts_are_python_ints():
    counts = metrics.confusion_counts(torch.tensor([1, 0]), torch.tensor([1, 1]))
    assert all(type(v) is int for v in counts.values())


def test_length_mismatch_raises_value_error():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        metrics.confusion_counts([1, 0, 1], [1, 0])


def test_source_page_matrix_without_regularization():
    r = metrics.report({"tp": 90, "fn": 10, "fp": 30, "tn": 70})
    assert r["accuracy"] == pytest.approx(0.80)
    assert r["precision"] == pytest.approx(0.75)
    assert r["recall"] == pytest.approx(0.90)
    assert r["f1"] == pytest.approx(2 * 0.75 * 0.9 / 1.65)


def test_second_source_page_matrix():
    r = metrics.report({"tp": 45, "fp": 5, "fn": 10, "tn": 40})
    assert r["precision"] == pytest.approx(0.9)
    assert r["recall"] == pytest.approx(45 / 55)
    assert r["accuracy"] == pytest.approx(0.85)


def test_google_tumour_example_accuracy_paradox():
    # 100 tumours: TP 1, FP 1, FN 8, TN 90 -> 91% accuracy, as "always benign" gets
    model = metrics.report({"tp": 1, "fp": 1, "fn": 8, "tn": 90})
    always_benign = metrics.report({"tp": 0, "fp": 0, "fn": 9, "tn": 91})
    assert model["accuracy"] == pytest.approx(0.91) == always_benign["accuracy"]
    assert always_benign["recall"] == 0.0 and model["recall"] == pytest.approx(1 / 9)
    assert always_benign["balanced_accuracy"] == pytest.approx(0.5)


def test_zero_over_zero_gives_zero_never_raises():
    assert metrics.precision(0, 0) == 0.0  # nothing predicted positive
    assert metrics.recall(0, 0) == 0.0     # nothing actually positive
    assert metrics.f1(0.0, 0.0) == 0.0
    assert metrics.accuracy(0, 0, 0, 0) == 0.0
    assert metrics.balanced_accuracy(0, 0, 0, 0) == 0.0


def test_f1_is_the_harmonic_not_the_arithmetic_mean():
    assert metrics.f1(1.0, 0.1) == pytest.approx(2 * 0.1 / 1.1)
    assert metrics.f1(1.0, 0.1) < (1.0 + 0.1) / 2


def test_balanced_accuracy_uses_only_classes_present():
    # all-negative data classified perfectly: only the negative class counts
    assert metrics.balanced_accuracy(tp=0, fp=0, fn=0, tn=10) == 1.0
    assert metrics.balanced_accuracy(tp=3, fp=2, fn=1, tn=8) == pytest.approx((0.75 + 0.8) / 2)


def test_classification_report_has_counts_and_rates():
    r = metrics.classification_report([1, 0, 0, 0], [0, 0, 0, 0])
    assert r["tn"] == 3 and r["fn"] == 1
    assert r["accuracy"] == 0.75 and r["recall"] == 0.0 and r["precision"] == 0.0


def test_threshold_sweep_counts_every_cut_off():
    scores = [0.9, 0.8, 0.3, 0.2]
    sweep = metrics.threshold_sweep(scores, [1, 0, 1, 0], thresholds=[0.0, 0.5, 0.85, 0.95])
    assert sweep["tp"] == [2, 1, 1, 0] and sweep["fp"] == [2, 1, 0, 0]
    assert sweep["precision"] == pytest.approx([0.5, 0.5, 1.0, 0.0])
    assert sweep["recall"] == pytest.approx([1.0, 0.5, 0.5, 0.0])


def test_threshold_sweep_agrees_with_the_report_of_each_threshold():
    torch.manual_seed(0)
    scores, y = torch.rand(50, 1), (torch.rand(50, 1) > 0.7).float()
    sweep = metrics.threshold_sweep(scores, y)
    assert len(sweep["threshold"]) == 99
    i = sweep["threshold"].index(pytest.approx(0.5))
    assert metrics.classification_report(y, scores > 0.5) == pytest.approx(
        {k: sweep[k][i] for k in metrics.classification_report(y, scores > 0.5)})


def test_threshold_sweep_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="3 labels but scores has 2"):
        metrics.threshold_sweep([0.1, 0.2], [1, 0, 1])


# A case checked by hand: labels [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8].
# From the top score down: 0.8 (positive), 0.4 (negative), 0.35 (positive), 0.1 (negative).
#   threshold  TP FP  precision recall  false-positive rate
#   0.8         1  0    1        1/2     0
#   0.4         1  1    1/2      1/2     1/2
#   0.35        2  1    2/3      1       1/2
#   0.1         2  2    1/2      1       1
# AP  = 1/2 * 1 + 0 * 1/2 + 1/2 * 2/3 + 0 * 1/2 = 5/6
# AUC = 1/2 * 1/2 + 1/2 * 1 = 3/4; of the 4 (positive, negative) pairs, 3 are ranked
# right (0.8 > 0.1, 0.8 > 0.4, 0.35 > 0.1).
HAND_LABELS, HAND_SCORES = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def test_roc_curve_of_the_hand_checked_case():
    roc = metrics.roc_curve(HAND_SCORES, HAND_LABELS)
    assert roc["threshold"] == pytest.approx([float("inf"), 0.8, 0.4, 0.35, 0.1])
    assert roc["fpr"] == pytest.approx([0.0, 0.0, 0.5, 0.5, 1.0])
    assert roc["tpr"] == pytest.approx([0.0, 0.5, 0.5, 1.0, 1.0])


def test_precision_recall_curve_of_the_hand_checked_case():
    pr = metrics.precision_recall_curve(torch.tensor(HAND_SCORES).view(-1, 1), HAND_LABELS)
    assert pr["tp"] == [1, 1, 2, 2] and pr["fp"] == [0, 1, 1, 2]
    assert pr["precision"] == pytest.approx([1.0, 0.5, 2 / 3, 0.5])
    assert pr["recall"] == pytest.approx([0.5, 0.5, 1.0, 1.0])


def test_areas_of_the_hand_checked_case():
    assert metrics.average_precision(HAND_SCORES, HAND_LABELS) == pytest.approx(5 / 6)
    assert metrics.roc_auc(HAND_SCORES, HAND_LABELS) == pytest.approx(3 / 4)


def test_auc_is_the_share_of_positive_negative_pairs_ranked_right():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 20, (300,), generator=g).float()  # many ties on purpose
    labels = torch.rand(300, generator=g) < 0.2
    pos, neg = scores[labels], scores[~labels]
    pairs = (pos[:, None] > neg[None]).double().mean() + 0.5 * (pos[:, None] == neg[None]).double().mean()
    assert metrics.roc_auc(scores, labels) == pytest.approx(pairs.item(), abs=1e-12)


def test_tied_scores_form_one_point_and_give_chance_areas():
    # one score for everyone: nothing is ranked, AUC is 1/2 and AP is the share of positives
    labels = [1, 0, 0, 0]
    assert len(metrics.precision_recall_curve([0.5] * 4, labels)["threshold"]) == 1
    assert metrics.roc_auc([0.5] * 4, labels) == 0.5
    assert metrics.average_precision([0.5] * 4, labels) == 0.25


def test_perfect_and_reversed_rankings():
    labels = [0, 0, 1, 1]
    assert metrics.roc_auc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert metrics.average_precision([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert metrics.roc_auc([0.9, 0.8, 0.2, 0.1], labels) == 0.0


def test_areas_depend_only_on_the_ranking():
    g = torch.Generator().manual_seed(1)
    probs, labels = torch.rand(200, generator=g), torch.rand(200, generator=g) < 0.3
    for area in (metrics.roc_auc, metrics.average_precision):
        assert area(probs ** 3, labels) == pytest.approx(area(probs, labels), abs=1e-12)


def test_curves_need_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc([0.2, 0.9], [0, 0])
    with pytest.raises(ValueError, match="both classes"):
        metrics.average_precision([0.2, 0.9], [1, 1])
    with pytest.raises(ValueError, match="3 labels but scores has 2"):
        metrics.roc_curve([0.2, 0.9], [0, 1, 1])


def test_prediction_bias_is_mean_prediction_minus_base_rate():
    assert metrics.prediction_bias([0.2, 0.4, 0.3, 0.1], [0, 1, 0, 0]) == pytest.approx(0.25 - 0.25)
    assert metrics.prediction_bias(torch.tensor([[0.5], [0.5]]), [0, 0]) == pytest.approx(0.5)
    assert metrics.prediction_bias([0.1, 0.1], [1, 1]) == pytest.approx(-0.9)
    with pytest.raises(ValueError, match="2 labels but probabilities has 3"):
        metrics.prediction_bias([0.1, 0.2, 0.3], [0, 1])
