"""Each throughput figure of the bench is the median of its wrk runs, and every run's loss is reported."""

from bench.figures import Figures, MetricsCost, Plan, Run, Usage, median_run
from bench.load import Answers
from bench.report import rows, verdicts_for

PLAN = Plan(device_counts=(10, 100, 1_000), repeats=3)


def run(devices: int, delivered: int, received: int | None = None) -> Run:
    answers = Answers(sent=delivered, delivered=delivered, undelivered=0, failed=0, other=0, unanswered=0, seconds=1.0, cpu_s=0.1)
    return Run(devices, answers, delivered if received is None else received, [], Usage(1.0, 0.1, 0.1, 0.1, 0.1, 0.0))


def test_the_median_run_is_the_figure() -> None:
    figures = Figures("ours")
    for delivered in (5_000, 9_000, 4_000):
        figures.add_blast(1_000, run(1_000, delivered))
    assert figures.throughput[1_000].answers.delivered == 5_000
    assert [r.answers.delivered for r in figures.blasts[1_000]] == [5_000, 9_000, 4_000]


def test_of_an_even_number_of_runs_the_higher_middle_one() -> None:
    runs = [run(10, delivered) for delivered in (6_000, 5_000, 7_000, 4_000)]
    assert median_run(runs).answers.delivered == 6_000


def test_the_size_target_compares_medians_not_single_runs() -> None:
    figures = Figures("ours")
    for delivered in (9_900, 5_000, 5_100, 5_000, 5_050, 5_000):  # one fast outlier among the small fleet's runs
        figures.add_blast(10, run(10, delivered))
    for delivered in (4_500, 4_400, 8_000):
        figures.add_blast(1_000, run(1_000, delivered))
    scale = next(v for v in verdicts_for(figures, [], PLAN) if "%" in v.target)
    assert scale.measured == "89%"  # 4,500 / 5,050
    assert scale.met


def test_a_loss_in_any_run_misses_the_loss_target() -> None:
    figures = Figures("ours")
    figures.add_blast(100, run(100, 4_000))
    figures.add_blast(100, run(100, 5_000, received=4_999))  # not the median run
    figures.add_blast(100, run(100, 6_000))
    loss = next(v for v in verdicts_for(figures, [], PLAN) if v.target.startswith("0 in"))
    assert not loss.met
    row = next(r for r in rows(PLAN) if r.label.startswith("loss") and "100 devices" in r.label)
    assert row.get(figures) == 1


def test_the_metrics_cost_compares_the_medians_of_alternating_runs_against_5_percent() -> None:
    figures = Figures("ours")
    rates = [(False, 5_000), (True, 4_900), (True, 4_000), (False, 5_200), (False, 4_100), (True, 4_950)]
    figures.metrics_cost = MetricsCost([(on, run(100, delivered)) for on, delivered in rates], series=42, scrapes=6)
    # pairs: 4,900 / 5,000, 4,000 / 5,200, 4,950 / 4,100: the median ratio is 0.98
    assert round(figures.metrics_cost.cost or 0, 3) == 0.02
    verdict = next(v for v in verdicts_for(figures, [], PLAN) if v.target == "< 5 %")
    assert verdict.met and verdict.measured.startswith("2.0% (median over 3 alternating pairs")
    assert "medians 4,900 vs 5,000 delivered:true /s" in verdict.measured
    row = next(r for r in rows(PLAN) if r.target == "< 5 %")
    assert round(row.get(figures), 1) == 2.0  # type: ignore[arg-type]
    figures.metrics_cost.runs[1] = (True, run(100, 4_500))  # the median ratio becomes 0.9
    assert not next(v for v in verdicts_for(figures, [], PLAN) if v.target == "< 5 %").met
