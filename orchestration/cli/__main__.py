"""`python -m orchestration.cli`: the console script."""

from orchestration.cli import main

raise SystemExit(main())
