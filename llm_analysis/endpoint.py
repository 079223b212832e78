"""The running server as a client sees it: where, with which key, which model alias, how much context, and
its own token count."""

from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass
class LLMServer:
    """What a client needs: where, with which key, which model alias, how much context."""

    backend: str
    base_url: str  # ends in /v1
    api_key: str
    model: str
    context_length: int
    max_in_flight: int
    started_here: bool = False
    max_output_tokens: int = 0  # tokens one answer may take; 0: the backend's default
    max_input_tokens: int = 0  # tokens of paper one request may carry; 0: the backend's default

    def tokenize_count(self, text: str, timeout: float = 30.0) -> int | None:
        """Exact token count from the server's own tokenizer, or None when it has no endpoint.
        vLLM's `/tokenize` sits at the server root, not under /v1; llama-cpp-python's is
        `/extras/tokenize/count`; an external server may be either."""
        root = self.base_url.removesuffix("/v1")
        headers = {"Authorization": f"Bearer {self.api_key}"}
        llama = (f"{root}/extras/tokenize/count", {"input": text}, "count")
        vllm = (f"{root}/tokenize", {"model": self.model, "prompt": text}, "count")
        attempts = {"llama-cpp": [llama], "vllm": [vllm]}.get(self.backend, [vllm, llama])
        for url, body, key in attempts:
            try:
                response = requests.post(url, json=body, headers=headers, timeout=timeout)
            except requests.RequestException:
                return None
            if response.status_code == 200 and key in response.json():
                return int(response.json()[key])
        return None
