"""Benchmarks: measurements, not tests. Each module runs alone (``python -m bench.<name>``) and
prints its result as one JSON object on its last line: the figure, a baseline measured in the
same run, their ratio, the goal, the sizes, the database and the machine. ``bench.run_all`` runs
them all within a time budget.
"""
