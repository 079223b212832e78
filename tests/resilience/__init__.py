"""Resilience scenarios: arXiv, PDFs, the model and the machine misbehaving.
`make chaos` runs this folder alone, with `-s` to show `say`."""


def say(scenario: str, injected: str, checked: str) -> None:
    print(f"\n[{scenario}] injected: {injected}\n[{scenario}] checked: {checked}")
