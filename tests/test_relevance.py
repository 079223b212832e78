"""Relevance beyond keywords: embeddings (real wordllama weights), the interest profile, the semantic
keep rule and ranking, and "similar papers" over the history, on the real replay server and DuckDB."""

import datetime as dt
import json
import os
import re

import dagster as dg
import numpy as np
import pytest

from assets.publishing import similar_earlier
from ranking.keywords import FilterRules, filter_listings
from ranking.relevance import Closeness, KeepRule, ProfileError, build_profile, combined_score, semantic_scores
from ranking.vectors import embed_listings, listing_text, text_hash
from resources.embedder import EmbedderResource
from resources.settings import ConfigError
from tests.conftest import DEMO_DAY, cli, pipeline_for, replay_env, settings_for, stored

VLA = "Vision-language-action models: robot policies that map camera images and language instructions to robot actions"
FORECASTING = ("Spatio-temporal forecasting: predicting traffic, weather or other multivariate time series over "
               "space and time")
INTERESTS = json.dumps([VLA, FORECASTING])
# The seed report's papers of the demo day (real arXiv metadata): four VLA papers, one VLA systems paper
# and one precipitation-nowcasting paper.
SEED = {"2512.20276", "2512.20014", "2512.20188", "2511.14396", "2512.21118", "2512.05107"}
EMBED_ASSETS = ("raw_listings", "listing_embeddings", "filtered_papers")

BIBTEX = """@article{kim2024openvla,
  title={{OpenVLA}: An Open-Source Vision-Language-Action Model},
  author={Kim, Moo Jin and Pertsch, Karl},
  abstract={Large policies pretrained on a combination of Internet-scale vision-language data
  and diverse robot demonstrations have the potential to change how we teach robots new skills.},
  year={2024}
}
"""


def row(arxiv_id, title, abstract="", announce_type="new", version=1):
    return {"arxiv_id": arxiv_id, "version": version, "announce_type": announce_type, "title": title,
            "abstract": abstract, "authors": [], "primary_category": "cs.RO", "categories": ["cs.RO"]}


# ---------------------------------------------------------------- the embedder (real weights)

def test_wordllama_vectors_are_unit_length_and_place_a_paraphrase_near_its_topic():
    embedder = EmbedderResource()
    vectors = embedder.embed([VLA, FORECASTING, "robot foundation policy conditioned on language and images"])
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The paraphrase never says "vision-language-action", yet it is closer to that interest.
    assert vectors[2] @ vectors[0] > vectors[2] @ vectors[1] + 0.1


def test_embedding_reuses_the_cache_and_embeds_only_new_text():
    class Counting(EmbedderResource):
        def embed(self, texts):
            calls.append(list(texts))
            return super().embed(texts)

    calls: list = []
    embedder = Counting()
    listing = [row("2512.00001", "A VLA policy", "abstract one"), row("2512.00002", "Traffic forecasting", "two")]
    first, embedded = embed_listings(listing, {}, embedder.embed, embedder.identity, now=None)
    assert embedded == 2 and len(calls) == 1
    cache = {(r["arxiv_id"], r["version"], r["text_hash"]): r["embedding"] for r in first}
    changed = [listing[0], {**listing[1], "abstract": "a revised abstract"}]
    again, embedded = embed_listings(changed, cache, embedder.embed, embedder.identity, now=None)
    assert embedded == 1 and calls[-1] == [listing_text("Traffic forecasting", "a revised abstract")]
    assert [r["cached"] for r in again] == [True, False]
    assert text_hash(listing_text("a  b\n", "c")) == text_hash(listing_text("a b", " c"))  # wraps do not count


# ---------------------------------------------------------------- profile and keep rule

def test_profile_names_an_example_found_nowhere(tmp_path):
    with pytest.raises(ProfileError, match="2512.99999"):
        build_profile([VLA], ["2512.99999"], "", known_papers={})


def test_profile_takes_interests_examples_and_bibtex_entries(tmp_path):
    bib = tmp_path / "library.bib"
    bib.write_text(BIBTEX, encoding="utf-8")
    known = {"2512.20014": {"title": "Bring My Cup!", "abstract": "Personalising VLA models."}}
    items = build_profile([VLA], ["2512.20014"], str(bib), known)
    assert [i.kind for i in items] == ["interest", "example", "bibtex"]
    assert items[1].label == "2512.20014 Bring My Cup!"
    assert items[2].label == "OpenVLA: An Open-Source Vision-Language-Action Model"  # braces gone
    assert "Internet-scale vision-language data and diverse" in items[2].text  # line wrap undone


def test_semantic_hit_keeps_a_paper_without_keyword_but_exclusions_and_types_still_apply():
    rules = FilterRules.build(["traffic prediction"], exclude=["survey"], announce_types=("new",))
    rows = [row("1", "A robot policy"), row("2", "A robot policy survey"), row("3", "A robot policy", version=2,
                                                                              announce_type="replace"),
            row("4", "Traffic prediction with graphs"), row("5", "Unrelated")]
    closeness = {("1", 1): Closeness(0.62, VLA), ("2", 1): Closeness(0.70, VLA), ("3", 2): Closeness(0.66, VLA),
                 ("4", 1): Closeness(0.30, FORECASTING), ("5", 1): Closeness(0.39, VLA)}
    kept = filter_listings(rows, rules, closeness, RAW_RULE)
    assert [(r["arxiv_id"], r["kept_by"]) for r in kept] == [("4", ["keyword"]), ("1", ["semantic"])]
    assert kept[1]["closest_interest"] == VLA and kept[1]["semantic_score"] == 0.62
    # combined = keyword score (10 in title + 1 keyword) + 20 x 0.30 = 17; 0 + 20 x 0.62 = 12.4
    assert [r["combined_score"] for r in kept] == [17.0, 12.4] and [r["rank"] for r in kept] == [1, 2]


def test_without_a_profile_the_keyword_rule_decides_alone():
    rules = FilterRules.build(["vla"])
    kept = filter_listings([row("1", "A VLA"), row("2", "A robot policy")], rules)
    assert [(r["arxiv_id"], r["semantic_score"], r["kept_by"]) for r in kept] == [("1", None, ["keyword"])]


RAW_RULE = KeepRule(threshold=0.40, calibrated_threshold=2.3, learned_threshold=0.5, semantic_weight=20)


def test_a_calibrated_score_decides_instead_of_the_raw_cosine_once_there_is_one():
    rules = FilterRules.build([])
    rows = [row("1", "A robot policy"), row("2", "Another robot policy")]
    # 1: low raw cosine (a long interest) but unusually close for that interest; 2: the reverse
    closeness = {("1", 1): Closeness(0.31, VLA, calibrated=2.9), ("2", 1): Closeness(0.45, VLA, calibrated=1.2)}
    kept = filter_listings(rows, rules, closeness, RAW_RULE)
    assert [(r["arxiv_id"], r["kept_by"], r["calibrated_score"]) for r in kept] == [("1", ["semantic"], 2.9)]


def test_the_learned_score_keeps_orders_and_says_which_liked_paper_it_resembles():
    rules = FilterRules.build(["vla"])
    rows = [row("1", "A VLA"), row("2", "A robot policy"), row("3", "Unrelated"), row("4", "A robot policy v2")]
    closeness = {("1", 1): Closeness(0.5, VLA, calibrated=3.0, learned=0.2),
                 ("2", 1): Closeness(0.2, VLA, calibrated=0.5, learned=0.9, liked="Bring My Cup!"),
                 ("3", 1): Closeness(0.1, VLA, calibrated=0.1, learned=0.1),
                 # a disliked paper's twin: close by every measure, kept by none of them
                 ("4", 1): Closeness(0.7, VLA, calibrated=4.0, learned=0.95, disliked_twin=True)}
    kept = filter_listings(rows, rules, closeness, RAW_RULE)
    # the order uses the learned score once there is one: 0 + 20 x 0.9 = 18 before 11 (VLA in the title) + 20 x 0.2
    assert [(r["arxiv_id"], r["kept_by"], r["combined_score"]) for r in kept] == [
        ("2", ["learned"], 18.0), ("1", ["keyword", "semantic"], 15.0)]
    assert kept[0]["closest_liked"] == "Bring My Cup!" and kept[0]["learned_score"] == 0.9


def test_semantic_scores_pick_the_closest_item():
    listing = np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32)
    profile = np.array([[1, 0], [0, 1]], dtype=np.float32)
    best, closest = semantic_scores(listing, profile)
    assert best.tolist() == pytest.approx([1.0, 0.8, 1.0]) and closest.tolist() == [0, 1, 1]
    assert combined_score(100, -0.2, 20) == 100.0  # a negative similarity never lowers a keyword match


# ---------------------------------------------------------------- settings

def test_empty_keywords_with_interests_is_a_valid_configuration():
    settings = settings_for(ARXIV_MONITOR_KEYWORDS="", ARXIV_MONITOR_INTERESTS=INTERESTS)
    assert settings.get("monitor", "keywords") == [] and settings.get("relevance", "interests") == [VLA, FORECASTING]


@pytest.mark.parametrize("env, named", [
    ({"ARXIV_MONITOR_KEYWORDS": "", "ARXIV_MONITOR_INTERESTS": "[]"}, "nothing would ever be kept"),
    ({"ARXIV_MONITOR_INTERESTS": '["robots"'}, "ARXIV_MONITOR_INTERESTS"),
    ({"ARXIV_MONITOR_INTERESTS": "[1, 2]"}, "list of strings"),
    ({"ARXIV_MONITOR_EXAMPLES": "2512.20014,../../etc/passwd"}, "../../etc/passwd"),
    ({"ARXIV_MONITOR_RELEVANCE_THRESHOLD": "1.5"}, "between 0 and 1"),
    ({"ARXIV_MONITOR_EMBEDDING_BACKEND": "word2vec"}, "word2vec"),
    ({"ARXIV_MONITOR_EMBEDDING_BACKEND": "openai"}, "ARXIV_MONITOR_EMBEDDING_URL"),
])
def test_bad_relevance_settings_are_named(env, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.").replace("[", r"\[")):
        settings_for(**env)


def test_unreadable_or_empty_bibtex_is_named(tmp_path):
    missing = tmp_path / "nope.bib"
    with pytest.raises(ConfigError, match="nope.bib"):
        settings_for(ARXIV_MONITOR_BIBTEX=str(missing))
    junk = tmp_path / "junk.bib"
    junk.write_text("not bibtex at all", encoding="utf-8")
    with pytest.raises(ConfigError, match="junk.bib holds no BibTeX entry"):
        settings_for(ARXIV_MONITOR_BIBTEX=str(junk))


# ---------------------------------------------------------------- the assets on real data

def test_interests_alone_keep_the_seed_papers_of_the_demo_day(server, home):
    pipeline = pipeline_for(home, server, ARXIV_MONITOR_KEYWORDS="", ARXIV_MONITOR_INTERESTS=INTERESTS)
    result = dg.materialize(pipeline.assets_named(*EMBED_ASSETS), resources=pipeline.resources,
                            partition_key=DEMO_DAY)
    assert result.success
    kept = stored(home, "select arxiv_id, kept_by, semantic_score, closest_interest from filtered_papers "
                        "order by rank")
    assert {k[0] for k in kept} == SEED  # the six seed papers and none of the other 13 listings
    assert all(k[1] == ["semantic"] for k in kept)
    closest = {k[0]: k[3] for k in kept}
    assert closest["2512.21118"] == FORECASTING and closest["2512.20014"] == VLA
    width = stored(home, "select data_type from duckdb_columns() where table_name = 'listing_embeddings' "
                         "and column_name = 'embedding'")
    assert width == [("FLOAT[256]",)]


def test_a_rerun_embeds_nothing_and_stores_the_same_vectors(server, home):
    pipeline = pipeline_for(home, server)
    assets = pipeline.assets_named("raw_listings", "listing_embeddings")
    first = dg.materialize(assets, resources=pipeline.resources, partition_key=DEMO_DAY)
    before = stored(home, "select arxiv_id, version, text_hash, embedding from listing_embeddings order by all")
    again = dg.materialize(assets, resources=pipeline.resources, partition_key=DEMO_DAY)
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in again.get_asset_materialization_events()
            if e.asset_key.to_user_string() == "listing_embeddings"}["listing_embeddings"]
    assert first.success and again.success
    assert meta["embedded"].value == 0 and meta["from_cache"].value == 19
    assert stored(home, "select arxiv_id, version, text_hash, embedding from listing_embeddings order by all") == before


def test_default_keywords_report_shows_semantic_scores(server, home):
    pipeline = pipeline_for(home, server)
    assert dg.materialize(pipeline.assets_named(*EMBED_ASSETS), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    # Its own run: daily_report is ordered after filtered_papers only through paper_summaries.
    assert dg.materialize(pipeline.assets_named("daily_report"), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    report = (home / "reports" / f"{DEMO_DAY}.md").read_text(encoding="utf-8")
    assert "；内容接近你的兴趣「Vision-language-action models: robot policies" in report
    kept = stored(home, "select arxiv_id, kept_by from filtered_papers")
    assert {k[0] for k in kept} == SEED and all("keyword" in k[1] for k in kept)


def test_preview_shows_what_another_wording_keeps_and_misses_and_writes_nothing(server, home):
    """`arxiv-monitor preview` decides as filtered_papers decides (same kept papers, same order) and shows
    what a wording just misses: a six-word wording keeps none of the seed papers on the demo day, and the two
    papers closest below it are seed papers."""
    env = {"ARXIV_MONITOR_KEYWORDS": "", "ARXIV_MONITOR_INTERESTS": INTERESTS}
    pipeline = pipeline_for(home, server, **env)
    assert dg.materialize(pipeline.assets_named(*EMBED_ASSETS), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    before = stored(home, "select * from filtered_papers order by rank")
    same = cli("preview", "--date", DEMO_DAY, env_extra=replay_env(server, home, **env))
    assert same.returncode == 0, same.stderr
    kept_ids = [a for (a,) in stored(home, "select arxiv_id from filtered_papers order by rank")]
    shown = re.findall(r"^ +\d+  (\S+)v\d+  ", same.stdout.split("just below")[0], re.M)
    assert shown == kept_ids and set(shown) == SEED
    assert "cosine ≥ 0.4" in same.stdout  # 19 listings: too few to calibrate
    short = cli("preview", "--date", DEMO_DAY, "--near", "3", "--interest", "robot foundation models with language",
                env_extra=replay_env(server, home, **env))
    assert short.returncode == 0, short.stderr
    assert "kept (0):" in short.stdout and "just below (3):" in short.stdout
    below = re.findall(r"^ +(\d{4}\.\d{4,5})v\d+  ", short.stdout.split("just below")[1], re.M)
    assert len(below) == 3 and set(below[:2]) <= SEED, short.stdout
    assert "arxiv-monitor feedback ID up" in short.stdout  # how to teach it the papers it misses
    assert stored(home, "select * from filtered_papers order by rank") == before  # nothing written
    for args, message in ((["--date", "2025-13-01"], "--date: not a day"),
                          (["--date", "2025-12-01"], "no listing stored for 2025-12-01"),
                          (["--interest", " "], "--interest: an empty wording")):
        bad = cli("preview", *args, env_extra=replay_env(server, home, **env))
        assert bad.returncode == 2 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_an_unknown_example_fails_before_anything_is_kept(server, home):
    pipeline = pipeline_for(home, server)
    assert dg.materialize(pipeline.assets_named(*EMBED_ASSETS), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    before = stored(home, "select * from filtered_papers order by rank")
    bad = pipeline_for(home, server, ARXIV_MONITOR_EXAMPLES="2512.20014,2512.99999")
    result = dg.materialize(bad.assets_named("filtered_papers"), resources=bad.resources, partition_key=DEMO_DAY,
                            raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "2512.99999" in str(failure.event_specific_data.error) and "2512.20014" not in str(
        failure.event_specific_data.error).split("not in")[0]
    assert stored(home, "select * from filtered_papers order by rank") == before  # nothing lost


def test_similar_answers_over_a_backfill_and_lists_earlier_papers(server, home):
    pipeline = pipeline_for(home, server)
    assets = pipeline.assets_named("raw_listings", "listing_embeddings")
    for day in ("2025-12-22", "2025-12-23", "2025-12-24", DEMO_DAY):
        assert dg.materialize(assets, resources=pipeline.resources, partition_key=day).success
    env = replay_env(server, home)
    out = cli("similar", "2512.20014", "--limit", "3", "--format", "json", env_extra=env)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert [f["arxiv_id"] for f in found][:3] == ["2512.20276", "2512.20188", "2512.05107"]
    assert found[0]["similarity"] > found[-1]["similarity"] > 0.5
    unknown = cli("similar", "2512.99999", env_extra=env)
    assert unknown.returncode == 2 and "2512.99999 has no stored embedding" in unknown.stderr
    saved = cli("query", "--saved", "similar", "--param", "arxiv_id=2512.20014", "--param", "limit=1",
                "--format", "json", env_extra=env)
    assert json.loads(saved.stdout)[0]["arxiv_id"] == "2512.20276"
    # The report's "similar earlier papers": only papers first announced before the day, at most 3 each.
    earlier = similar_earlier(dt.date.fromisoformat(DEMO_DAY), sorted(SEED), 3, pipeline.resources["warehouse"])
    assert set(earlier) == SEED and all(len(v) == 3 for v in earlier.values())
    first_seen = dict(stored(home, "select arxiv_id, min(partition_date) from raw_listings group by 1"))
    assert all(first_seen[s["arxiv_id"]] < dt.date.fromisoformat(DEMO_DAY) for v in earlier.values() for s in v)
    assert all(v[0]["similarity"] >= v[1]["similarity"] >= v[2]["similarity"] for v in earlier.values())


def test_no_embeddings_yet_means_no_similar_section(server, home):
    pipeline = pipeline_for(home, server)
    assert dg.materialize(pipeline.assets_named("raw_listings"), resources=pipeline.resources,
                          partition_key=DEMO_DAY).success
    assert similar_earlier(dt.date.fromisoformat(DEMO_DAY), ["2512.20014"], 3, pipeline.resources["warehouse"]) == {}
    out = cli("similar", "2512.20014", env_extra=replay_env(server, home))
    assert out.returncode == 2 and "no embeddings stored yet" in out.stderr


# ---------------------------------------------------------------- the optional backend, for real

def test_openai_backend_embeds_through_a_real_llama_cpp_server_and_names_a_dead_one(own_llm_server, tmp_path):
    """llama.cpp's OpenAI-compatible server with embeddings on (the bundled SmolLM2-135M GGUF): the
    same client code a vLLM embedding server gets."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from resources.embedder import EmbeddingError
    from resources.llm_server import bundled_gguf, stop_group
    from tests.conftest import free_port

    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf()),
                                "--embedding", "True", "--n_ctx", "512", "--host", "127.0.0.1", "--port", str(port),
                                "--model_alias", "smollm2-embed"], stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, env={**os.environ, "API_KEY": "embed-key"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except urllib.error.HTTPError:  # 401 without the key: it is up
                break
            except OSError as exc:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError((tmp_path / "server.log").read_text()[-2000:]) from exc
                time.sleep(0.5)
        embedder = EmbedderResource(backend="openai", url=f"http://127.0.0.1:{port}/v1", model="smollm2-embed",
                                    api_key="embed-key", batch_size=2)
        texts = [VLA, FORECASTING, "robot foundation policy conditioned on language and images"]
        vectors = embedder.embed(texts)
        assert vectors.shape[0] == 3 and vectors.shape[1] > 0
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert embedder.identity == f"openai:smollm2-embed@http://127.0.0.1:{port}/v1"
        wrong_key = EmbedderResource(backend="openai", url=f"http://127.0.0.1:{port}/v1", model="smollm2-embed",
                                     api_key="wrong")
        with pytest.raises(EmbeddingError, match=f"127.0.0.1:{port}"):
            wrong_key.embed(["x"])
    finally:
        stop_group(process)
        log.close()
    gone = EmbedderResource(backend="openai", url=f"http://127.0.0.1:{port}/v1", model="smollm2-embed",
                            timeout_seconds=2)
    with pytest.raises(EmbeddingError, match="smollm2-embed"):
        gone.embed(["x"])


def test_a_model_of_another_width_is_refused_before_anything_is_written(server, home):
    pipeline = pipeline_for(home, server)
    assets = pipeline.assets_named("raw_listings", "listing_embeddings")
    assert dg.materialize(assets, resources=pipeline.resources, partition_key=DEMO_DAY).success
    before = stored(home, "select * from listing_embeddings order by all")

    class Narrow(EmbedderResource):  # a stand-in for a server model with 8-d vectors
        @property
        def identity(self) -> str:
            return "openai:narrow@test"

        def embed(self, texts):
            return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)

    result = dg.materialize(pipeline.assets_named("listing_embeddings"),
                            resources={**pipeline.resources, "embedder": Narrow()}, partition_key=DEMO_DAY,
                            raise_on_error=False)
    assert not result.success
    message = str(next(e for e in result.all_events if e.is_step_failure).event_specific_data.error)
    assert "openai:narrow@test gives 8-d vectors" in message and "256-d vectors of wordllama" in message
    assert stored(home, "select * from listing_embeddings order by all") == before


def test_the_calibrated_threshold_is_picked_on_the_development_wordings_alone():
    from bench.reader_loop import pick_calibrated_threshold

    def row(dev_seed, dev_jaccard, held_seed):
        return {"development": {"min_seed_kept": dev_seed, "mean_jaccard": dev_jaccard},
                "held_out": {"min_seed_kept": held_seed, "mean_jaccard": 1.0}}

    # Recall of the worst development wording first, then its overlap, then the stricter threshold; the held-out
    # figures never decide.
    assert pick_calibrated_threshold({2.0: row(5, 0.6, 6), 2.2: row(5, 0.7, 3), 2.4: row(4, 0.9, 6)}) == 2.2
    assert pick_calibrated_threshold({2.0: row(5, 0.7, 6), 2.3: row(5, 0.7, 1)}) == 2.3
