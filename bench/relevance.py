"""`relevance`: the semantic keep rule on real recorded listings, the embedding speed, and `similar`
over a 30-day history.

Quality (real data): every distinct entry of the recorded arXiv API responses
(`../shared/realdata/api`) plus the replay corpus (the seed report's six papers, the three PDF
papers). Two sets of "relevant" papers: the seed report's six (the human-curated report of
2025-12-26) and the papers the default keyword rule keeps (what a keyword reader would keep). The
profile is the default `[relevance].interests`, two plain descriptions. For wordllama and for a
like-for-like lexical baseline (TF-IDF cosine of the same texts against the same profile, numpy):
precision@k, precision/recall at each threshold, and the keyword rule's own figures.

Speed: a 2,000-listing day (real titles and abstracts cycled) embedded by wordllama, best of 3
after a warm-up, vs the TF-IDF baseline on the same texts; model load time; peak RSS.

History: 30 days x 2,000 listings of **synthetic** vectors-from-real-text (bench/synthetic.py's
ids), stored through the asset's own write, then the saved query `similar` over 30 days vs 1 day.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import resource
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import feedparser
import numpy as np
import polars as pl

SEED = {"2512.20276", "2512.20014", "2512.20188", "2511.14396", "2512.21118", "2512.05107"}
THRESHOLDS = [round(0.30 + 0.01 * i, 2) for i in range(26)]


def real_entries() -> dict[str, dict]:
    """{arxiv_id: {title, abstract, categories, authors}} of every distinct real entry."""
    from replay.corpus import load_corpus, realdata_dir

    realdata = realdata_dir()
    entries = {e.arxiv_id: {"title": e.title, "abstract": e.abstract, "categories": e.categories,
                            "authors": e.authors} for e in load_corpus(realdata)}
    for path in sorted((realdata / "api").rglob("*.xml")):
        for e in feedparser.parse(path.read_bytes()).entries:
            if "/abs/" not in e.get("id", "") or not e.get("title"):
                continue
            arxiv_id = e.id.rsplit("/abs/", 1)[1].rsplit("v", 1)[0]
            entries.setdefault(arxiv_id, {"title": e.title, "abstract": e.get("summary", ""),
                                          "categories": [t.term for t in e.get("tags", [])],
                                          "authors": [a.name for a in e.get("authors", [])]})
    return entries


class TfidfBaseline:
    """Lexical baseline: TF-IDF (log tf, smoothed idf) cosine; the vocabulary and idf from the texts."""

    def __init__(self, corpus: list[str]):
        docs = [self._tokens(t) for t in corpus]
        df = Counter(w for d in docs for w in set(d))
        self.vocab = {w: i for i, w in enumerate(sorted(df))}
        self.idf = np.array([math.log((1 + len(docs)) / (1 + df[w])) + 1 for w in sorted(df)], dtype=np.float32)

    @staticmethod
    def _tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.vocab)), dtype=np.float32)
        for i, text in enumerate(texts):
            for word, n in Counter(self._tokens(text)).items():
                if word in self.vocab:
                    out[i, self.vocab[word]] = (1 + math.log(n)) * self.idf[self.vocab[word]]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _figures(scores: np.ndarray, ids: list[str], relevant: set[str]) -> dict:
    order = np.argsort(-scores, kind="stable")
    ranked = [ids[i] for i in order]
    figures = {f"precision_at_{k}": round(sum(r in relevant for r in ranked[:k]) / k, 3) for k in (3, 5, 6, 10)}
    figures["average_precision"] = round(statistics.fmean(
        [sum(r in relevant for r in ranked[:i + 1]) / (i + 1) for i, r in enumerate(ranked) if r in relevant]), 3)
    lowest_relevant = min(float(scores[ids.index(r)]) for r in relevant)
    highest_other = max(float(scores[i]) for i, r in enumerate(ids) if r not in relevant)
    figures.update(lowest_relevant=round(lowest_relevant, 3), highest_other=round(highest_other, 3))
    by_threshold = []
    for t in THRESHOLDS:
        kept = {r for r, s in zip(ids, scores) if s >= t}
        hits = len(kept & relevant)
        precision = round(hits / len(kept), 3) if kept else None
        by_threshold.append({"threshold": t, "kept": len(kept), "precision": precision,
                             "recall": round(hits / len(relevant), 3)})
    figures["by_threshold"] = by_threshold
    return figures


def quality(threshold: float) -> dict:
    from ranking.keywords import FilterRules, match_paper
    from ranking.vectors import listing_text
    from resources.embedder import EmbedderResource
    from resources.settings import load_settings

    settings = load_settings()
    entries = real_entries()
    ids = sorted(entries)
    texts = [listing_text(entries[i]["title"], entries[i]["abstract"]) for i in ids]
    interests = list(settings.get("relevance", "interests"))
    rules = FilterRules.build(settings.get("monitor", "keywords"))
    keyword_kept = {i for i in ids if match_paper({"arxiv_id": i, "version": 1, "announce_type": "new", "authors": [],
                                                  "title": entries[i]["title"], "abstract": entries[i]["abstract"],
                                                  "categories": entries[i]["categories"]}, rules).kept}
    backends = {"wordllama": EmbedderResource(), "tfidf_baseline": TfidfBaseline(texts + interests)}
    out = {}
    for name, backend in backends.items():
        listing, profile = backend.embed(texts), backend.embed(interests)
        scores = (listing @ profile.T).max(axis=1)
        kept = {i for i, s in zip(ids, scores) if s >= threshold}
        out[name] = {
            "vs_seed_papers": _figures(scores, ids, SEED),
            "vs_keyword_rule": _figures(scores, ids, keyword_kept),
            "at_default_threshold": {"threshold": threshold, "kept": len(kept), "seed_kept": len(kept & SEED),
                                     "keyword_kept": len(kept & keyword_kept), "others": sorted(kept - SEED)},
        }
    hits = len(keyword_kept & SEED)
    out["keyword_rule"] = {"kept": len(keyword_kept), "precision_vs_seed": round(hits / len(keyword_kept), 3),
                           "recall_vs_seed": round(hits / len(SEED), 3), "kept_ids": sorted(keyword_kept)}
    return {"entries": len(ids), "seed_papers": len(SEED), "keyword_kept": len(keyword_kept),
            "interests": interests, **out}


def _best_of(fn, repeat: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def speed(entries: dict[str, dict], n: int = 2000) -> dict:
    from ranking.vectors import listing_text
    from resources import embedder as embedder_module
    from resources.embedder import EmbedderResource

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    embedder_module._wordllama.cache_clear()
    embedder_module._wordllama()
    load_seconds = time.perf_counter() - started
    base = [listing_text(e["title"], e["abstract"]) for e in entries.values()]
    texts = [base[i % len(base)] for i in range(n)]
    embedder = EmbedderResource()
    wordllama_s = _best_of(lambda: embedder.embed(texts))
    tfidf = TfidfBaseline(texts)
    tfidf_s = _best_of(lambda: tfidf.embed(texts))
    return {"listings": n, "wordllama_seconds": round(wordllama_s, 3), "tfidf_baseline_seconds": round(tfidf_s, 3),
            "listings_per_second": round(n / wordllama_s), "wordllama_over_tfidf": round(wordllama_s / tfidf_s, 2),
            "model_load_seconds": round(load_seconds, 2), "peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "rss_before_model_mb": round(rss_before),
            "target": "2,000 listings in < 5 s"}


def _write_history(warehouse, days: list[dt.date], corpus: list, per_day: int, embedder) -> None:
    """`per_day` entries per day, in corpus order: raw_listings and listing_embeddings through the
    asset's own write (WarehouseResource.write_partition, writes/listing_embeddings.sql)."""
    from ranking.vectors import embedding_table, listing_text, text_hash
    from resources.arxiv_listing import RAW_LISTINGS_SCHEMA

    now = dt.datetime.now(dt.UTC)
    for n, day in enumerate(days):
        rows = [{"arxiv_id": e.arxiv_id, "version": e.version, "announce_type": "new", "title": e.title,
                 "authors": e.authors, "abstract": e.abstract, "primary_category": e.categories[0],
                 "categories": e.categories, "published": e.published, "updated": e.updated, "comment": None,
                 "journal_ref": None, "doi": None, "abs_url": None, "pdf_url": None, "fetched_at": now}
                for e in corpus[n * per_day:(n + 1) * per_day]]
        vectors = embedder.embed([listing_text(r["title"], r["abstract"]) for r in rows])
        embedded = [{"arxiv_id": r["arxiv_id"], "version": r["version"], "model": embedder.identity,
                     "text_hash": text_hash(listing_text(r["title"], r["abstract"])), "embedding": v,
                     "cached": False, "embedded_at": now} for r, v in zip(rows, vectors)]
        warehouse.write_partition(day, {"raw_listings": pl.DataFrame(rows, schema=RAW_LISTINGS_SCHEMA).to_arrow(),
                                        "listing_embeddings": embedding_table(embedded, vectors.shape[1])})


def similar_history(days_count: int = 30, per_day: int = 2000) -> dict:
    """The saved query `similar` for a paper of the last day, over a 30-day history vs a 1-day one
    (same last day, same paper), median of 3 after a warm-up."""
    import sql
    from bench.synthetic import announcing_days, synthetic_corpus
    from resources.embedder import EmbedderResource
    from resources.warehouse import WarehouseResource

    days = announcing_days(dt.date(2026, 1, 5), days_count)
    corpus, _ = synthetic_corpus(days, per_day)
    corpus = corpus[:days_count * per_day]
    embedder = EmbedderResource()
    statement = sql.saved("similar").statement
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, span in (("one_day", 1), ("thirty_days", days_count)):
            warehouse = WarehouseResource(database=str(Path(tmp) / f"{label}.duckdb"))
            started = time.perf_counter()
            # Both end with the same day holding the same entries.
            _write_history(warehouse, days[-span:], corpus[(days_count - span) * per_day:], per_day, embedder)
            build = time.perf_counter() - started
            target = corpus[(days_count - 1) * per_day].arxiv_id
            params = sql.params_for(statement, {"arxiv_id": target, "limit": 10})
            with warehouse.reader(sealed=True) as conn:
                vectors = conn.execute("select count(*) from listing_embeddings").fetchone()[0]
                conn.execute(statement, params).fetchall()  # warm-up
                runs = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    answer = conn.execute(statement, params).fetchall()
                    runs.append(time.perf_counter() - t0)
            found[label] = {"vectors": vectors, "seconds": round(statistics.median(runs), 4), "rows": len(answer),
                            "build_seconds": round(build, 1), "database_mb": round(
                                Path(warehouse.database).stat().st_size / 2**20, 1)}
    return {"days": days_count, "per_day": per_day, **found,
            "thirty_over_one": round(found["thirty_days"]["seconds"] / found["one_day"]["seconds"], 2),
            "data": "synthetic ids 99MM.NNNNN with real titles and abstracts re-used (bench/synthetic.py)"}


def relevance() -> dict:
    from resources.settings import load_settings

    threshold = load_settings().get("relevance", "threshold")
    found = quality(threshold)
    return {"benchmark": "relevance", "quality": found, "speed": speed(real_entries()),
            "similar_history": similar_history(),
            "target": "2,000-listing day embedded in < 5 s; threshold chosen between the lowest seed paper's and "
                      "the highest other paper's wordllama score"}
