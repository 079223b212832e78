"""What arXiv is, independent of this project: the announcement calendar, paper ids, the category
taxonomy and announce types. Plain Python; imports nothing of the project (tests/test_architecture.py)."""
