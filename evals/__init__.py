"""The evaluation suite: the full investigation on scored cases (`python -m evals`).

cases.py builds the cases (built-in scenarios or bundles with expected.json), suite.py runs them
through the pipeline under pydantic-evals, evaluators.py scores them with scenarios.scoring (the
one implementation of the bundle spec's matching rules), and results.py writes each run's JSON.
"""
