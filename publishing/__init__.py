"""What a reader sees: the Markdown report, the static site, the digests and the weekly pages, rendered
from stored rows with one template per output and one table of words. Imports no Dagster."""
