"""Reading a paper's PDF: its text split into sections, its links, its main figure and the sentences that
state its results; worker processes keep one bad PDF from stopping the rest. Imports no Dagster."""
