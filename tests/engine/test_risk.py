from engine.risk import relative_risk


def test_relative_risk_percentiles_and_bands():
    scores = [0.0] * 90 + [10.0] * 5 + [30.0] * 3 + [64.0, 90.0]
    risks = relative_risk(scores)
    by_score = {score: risk for score, risk in zip(scores, risks, strict=True)}
    assert by_score[0.0].percentile == 45.0 and by_score[0.0].band == "routine"
    assert by_score[10.0].band == "elevated"  # a low score, but in the top 20 % of this flight (92.5)
    assert by_score[30.0].band == "high" and by_score[64.0].band == "high"
    assert by_score[90.0].percentile == 99.5
    assert [r.percentile for r in relative_risk([5.0, 5.0])] == [50.0, 50.0]


def test_no_hits_means_routine_for_everyone():
    assert {r.band for r in relative_risk([0.0] * 300)} == {"routine"}


def test_bands_follow_absolute_score_on_a_busy_flight():
    scores = [70.0] * 50 + [30.0] * 50 + [5.0] * 100
    bands = {score: risk.band for score, risk in zip(scores, relative_risk(scores), strict=True)}
    assert bands == {70.0: "high", 30.0: "elevated", 5.0: "routine"}
