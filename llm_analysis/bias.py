"""Logit bias from the GGUF's own vocabulary: pieces of ordinary English words pushed down, so that a
Chinese answer stays Chinese, and the capitalised pieces of names a paper abbreviates, so that the model
writes STARE rather than spelling it out. llama.cpp only: the token ids are those of the GGUF it serves."""

from __future__ import annotations

import contextlib
import functools
import io
import re
from pathlib import Path

from llm_analysis.questions import named_long_forms

_LOWERCASE_WORD = re.compile(r" ?[a-z]{2,}")


_CAPITALISED_PIECE = re.compile(r"[ -]?[A-Z][a-z]*")


@functools.cache
def gguf_vocabulary(gguf: Path):
    """The GGUF's tokenizer alone (llama.cpp loads the vocabulary, not the weights: half a second)."""
    import llama_cpp

    # llama.cpp warns about the context a vocabulary-only load never uses; llama-cpp-python prints its log
    # lines to sys.stderr from Python.
    with contextlib.redirect_stderr(io.StringIO()):
        return llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)


@functools.cache
def lowercase_word_tokens(gguf: Path) -> tuple[int, ...]:
    """Ids of the model's vocabulary pieces that are lowercase Latin letters only ("man", " the",
    "ipulation"): the pieces of ordinary English words, not of names (capitals, digits, hyphens)."""
    vocab = gguf_vocabulary(gguf)
    found = []
    for token in range(vocab.n_vocab()):
        try:
            piece = vocab.detokenize([token]).decode("utf-8")
        except UnicodeDecodeError:  # part of a multi-byte character
            continue
        if _LOWERCASE_WORD.fullmatch(piece):
            found.append(token)
    return tuple(found)


def capitalised_pieces(gguf: Path, names: list[str], keep: str = "") -> tuple[int, ...]:
    """Ids of the capitalised pieces (" Stage", "-A", " Rein", "-Language") that spell `names`, written after
    a space or straight after a Chinese character, less any piece `keep` also uses (the paper's own
    "ActionFlow" shares "Action" with "Vision-Language-Action")."""
    vocab = gguf_vocabulary(gguf)

    def pieces(text: str) -> set[int]:
        tokens = set(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))
        return {t for t in tokens if _CAPITALISED_PIECE.fullmatch(vocab.detokenize([t]).decode("utf-8", "replace"))}

    def all_pieces(words: list[str]) -> set[int]:
        return set().union(set(), *(pieces(w) | pieces(" " + w) for w in words))

    return tuple(sorted(all_pieces(names) - all_pieces(re.findall(r"[\w-]+", keep))))


def long_name_bias(paper: dict, gguf, bias: float) -> dict[str, float]:
    """{token id: bias} that keeps the names the paper abbreviates from being spelled out ("Stage-Aware
    Reinforcement" rather than STARE): every capitalised piece of their long forms, except pieces the rest
    of the title and abstract use in other names."""
    long_forms = list(named_long_forms(paper).values())
    if not long_forms:
        return {}
    rest = f"{paper['title']} {paper['abstract']}"
    for long in long_forms:
        rest = rest.replace(long, " ")
    return dict.fromkeys(map(str, capitalised_pieces(gguf, long_forms, rest)), float(bias))
