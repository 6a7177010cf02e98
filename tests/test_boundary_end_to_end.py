"""Issue 25's grid, smaller: a linear VAE over β × learning rate × seeds, trained briefly,
where at small learning rates only some seeds collapse inside the β range. The report is
written whole and every boundary row says truthfully where its median lies."""

import numpy as np
import pandas as pd
import pytest

from vaecollapse import boundary, config, report, results, sweep


@pytest.mark.slow  # 30 s; the fast suite has the hand-made case (test_boundary.py)
def test_linear_grid_where_seeds_disagree_reports_completely(tmp_path):
    c = config.experiment_config("linear_phase")
    c.sweep.beta = tuple(float(f"{b:.4g}") for b in np.geomspace(0.15, 18.0, 10))
    c.sweep.learning_rate = tuple(float(f"{v:.4g}") for v in np.geomspace(2e-3, 4e-2, 5))
    c.sweep.seed = (0, 1, 2, 3)
    c.train.update(steps=200, log_every=100, eval_examples=500)
    c.checkpoint_every = 100
    c.data.num_examples = 4000
    sweep.run_sweep(c, tmp_path, progress=False)
    paths = report.report(tmp_path)
    assert {"phase_diagram.png", "summary.md", "boundary.csv"} <= {p.name for p in paths}
    found = boundary.estimate(results.load(tmp_path), "beta", "kl_per_dim")
    frame = boundary.to_frame(found)
    number = frame[np.isfinite(frame.estimate)]
    assert ((number.low <= number.estimate) & (number.estimate <= number.high)).all()
    inside = number[number.status == "bracketed"]
    assert inside.estimate.between(0.15, 18.0).all()
    # a row where fewer than half the seeds collapse on the grid never claims a number
    most_never = frame[frame.seeds_bracketed < frame.seeds / 2]
    assert len(most_never) and (most_never.status == "beyond_high").all()
    assert set(frame.status) - {"bracketed", "extrapolated", "beyond_high"} == set()
    csv = pd.read_csv(tmp_path / "boundary.csv")
    assert list(csv.columns[-len(boundary.CSV_COLUMNS) :]) == list(boundary.CSV_COLUMNS)
