"""Every measured figure in README.md, docs/ and bench/README.md traces to a recorded run (bench/check_figures.py)."""

import shutil

from bench.check_figures import DOCUMENTS, unmatched_figures


def test_every_figure_in_the_readmes_matches_a_recorded_result():
    assert unmatched_figures() == []


def test_an_unrecorded_figure_is_caught(tmp_path):
    """The figures the issue found without a recorded run, put back into copies of the documents."""
    readme, bench_readme = (shutil.copy(d, tmp_path / f"{i}-{d.name}") for i, d in enumerate((DOCUMENTS[0],
                                                                                            DOCUMENTS[-1])))
    with open(readme, "a", encoding="utf-8") as out:
        out.write("\nThe demo takes cold 128.4 s and warm 4.6 s; peak 1,366 MB.\n")
    with open(bench_readme, "a", encoding="utf-8") as out:
        # A real figure of another benchmark does not count for the benchmark the row names.
        out.write("| `relevance` | embedding | < 5 s | 2,000 listings in **7.93 s** (`demo_day`'s 369.4 s is not "
                  "this row's) |\n")
    problems = unmatched_figures([readme, bench_readme])
    assert any("'128.4 s'" in p for p in problems) and any("'4.6 s'" in p for p in problems)
    assert any("'1,366 MB'" in p for p in problems)
    assert any("'7.93 s' matches no recorded result of demo_day, relevance" in p for p in problems)
    assert not any("'5 s'" in p for p in problems)  # a target, not a measurement
