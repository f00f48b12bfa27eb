"""The walkthrough notebooks run, top to bottom, on a real Jupyter kernel (nbclient), and are
stored without outputs."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = ["article.ipynb", "geometric-intuition.ipynb", "theory.ipynb"]
PICTURES = {"article.ipynb": 9, "geometric-intuition.ipynb": 5, "theory.ipynb": 1}  # at least


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_is_stored_without_outputs(name):
    book = nbformat.read(EXAMPLES / name, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_runs_without_an_error(name, tmp_path):
    book = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {}) or "text/html" in o.get("data", {})]
    assert len(images) >= PICTURES[name], len(images)  # the pictures are there
