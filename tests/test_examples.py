"""The examples run as a reader would run them (slow: each trains)."""

import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("beta, warns", [(10.0, True), (0.3, False)])
def test_flax_loop_example_warns_only_when_collapsing(beta, warns):
    """examples/flax_loop.py runs, warns for a collapsing β and stays quiet otherwise."""
    out = subprocess.run(
        [sys.executable, "examples/flax_loop.py", "--beta", str(beta)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert ("WARNING: this run is heading for full posterior collapse" in out.stdout) == warns
    assert ("state:        full" in out.stdout) == warns


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path):
    """examples/quickstart.ipynb, executed cell by cell through a Jupyter kernel."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read("examples/quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "state:" in text and "the sweep's KL:" in text


@pytest.mark.slow
@pytest.mark.parametrize("flag, state", [("--no-stop_gradient", "complete"), ("", None)])
def test_embeddings_loop_example_collapses_without_stop_gradient(flag, state):
    """examples/embeddings_loop.py: without stop-gradient the embedding collapses
    completely; with it, it does not (README: it ends dimensional)."""
    out = subprocess.run(
        [sys.executable, "examples/embeddings_loop.py", *([flag] if flag else [])],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    final = [line for line in out.stdout.splitlines() if line.startswith("state:")][-1]
    if state:
        assert final.split()[-1] == state
    else:
        assert final.split()[-1] != "complete"
