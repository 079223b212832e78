"""Asking the model about a paper and judging its answers: the questions and prompts, the gates that keep
out junk, the logit bias, the model registry, and the rows of `paper_summaries`. Imports no Dagster."""
