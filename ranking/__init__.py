"""Which listings a reader keeps and in what order: keyword and author rules, closeness to the interest
profile, the calibration, the ranking learned from marks, and the marks themselves. Imports no Dagster."""
