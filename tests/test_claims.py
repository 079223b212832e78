"""A statement against the passages it rests on (llm_analysis/claims.py): shown only with a source, with
every name and number in its own sources, and with a comparison kept the right way round."""

from llm_analysis.claims import backed, comparisons_in, problems, statements_of
from llm_analysis.passages import Passage

# Sentences of the abstracts of the demo day's papers (U-Net 1505.04597, ActionFlow 2512.20276, BNN 1602.02830).
UNET_SPEED = "Segmentation of a 512x512 image takes less than a second on a recent GPU."
UNET_ISBI = ("Using the same network trained on transmitted light microscopy images (phase contrast and DIC) we won "
             "the ISBI cell tracking challenge 2015 in these categories by a large margin.")
ACTIONFLOW = ("Experimental results demonstrate that ActionFlow achieves a 2.55x improvement in FPS on the OpenVLA-7B "
              "model without retraining, enabling real-time dy namic manipulation on edge hardware.")
BNN = ("During the forward pass, BNNs drastically reduce memory size and accesses, and replace most arithmetic "
       "operations with bit-wise operations, which is expected to substantially improve power-efficiency.")
# Not a paper's: the same result qualified as a maximum, the form of comparison a statement must keep.
UP_TO = "ActionFlow achieves up to 2.55x improvement in FPS on the OpenVLA-7B model without retraining."


def test_a_statement_without_a_source_is_not_shown():
    assert problems("该网络分割速度很快。", [], "zh") == ["no source"]


def test_a_comparison_turned_around_is_caught_in_both_languages():
    assert comparisons_in(UNET_SPEED)[0].said == "less than a second"
    assert problems("分割一张512x512的图像仅需几秒钟。", [UNET_SPEED], "zh") == [
        "comparison turned around: 'less than a second'"]
    assert problems("分割一张512x512的图像不到一秒。", [UNET_SPEED], "zh") == []
    assert problems("ActionFlow实现了2.55倍的加速，无需重新训练。", [UP_TO], "zh") == [
        "comparison turned around: 'up to 2.55x'"]
    assert problems("ActionFlow最高可将速度提升2.55倍，无需重新训练。", [UP_TO], "zh") == []
    assert problems("ActionFlow runs 2.55x faster on OpenVLA-7B.", [UP_TO], "en") == [
        "comparison turned around: 'up to 2.55x'"]
    assert problems("ActionFlow runs up to 2.55x faster on OpenVLA-7B.", [UP_TO], "en") == []
    # The paper's own sentence states it flat: so may the statement.
    assert problems("ActionFlow在OpenVLA-7B上无需重新训练即实现了2.55倍的FPS提升。", [ACTIONFLOW], "zh") == []


def test_a_name_or_number_must_be_in_the_statements_own_sources_not_merely_in_the_paper():
    # 2015 and ISBI are in the paper (UNET_ISBI), but not in the sentence this statement rests on.
    assert problems("该网络在ISBI 2015挑战赛中获胜，分割速度不到一秒。", [UNET_SPEED], "zh") == [
        "not in its sources: ISBI", "not in its sources: 2015"]
    assert problems("该网络在ISBI 2015挑战赛中获胜。", [UNET_SPEED, UNET_ISBI], "zh") == []
    assert problems("该网络在ISBI 2016挑战赛中获胜。", [UNET_ISBI], "zh") == ["not in its sources: 2016"]


def test_a_faithful_statement_stands_on_its_source():
    assert problems("BNN大幅减少了内存占用和访存次数，并用位运算取代了大部分算术运算。", [BNN], "zh") == []
    assert problems("BNNs cut memory size and accesses, replacing most arithmetic with bit-wise operations.",
                    [BNN], "en") == []


def test_each_statement_is_kept_or_dropped_on_its_own_sources_and_cites_those_it_rests_on():
    passages = [Passage("Abstract", UNET_SPEED), Passage("Abstract", UNET_ISBI)]
    section = ("该网络在ISBI 2015细胞追踪挑战赛中大幅领先获胜。在较新的GPU上，分割一张512x512的图像仅需几秒钟。"
               "该网络在ISBI 2016挑战赛中获胜。")
    shown, dropped = statements_of("experiments", section, passages, "zh", "Title: U-Net")
    assert [s.text for s in shown] == ["该网络在ISBI 2015细胞追踪挑战赛中大幅领先获胜。"]
    assert shown[0].sources == (passages[1],)  # the sentence naming ISBI and 2015, not the speed one
    assert [d["reason"] for d in dropped] == ["comparison turned around: 'less than a second'",
                                              "not in its sources: 2016"]
    # a statement naming nothing of its own cites every sentence its section was written from
    (plain,), _ = statements_of("method", "分割一张图像不到一秒。", passages, "zh", default=passages)
    assert plain.sources == tuple(passages)
    # the title's name is known to the model, but says nothing about which passage a statement rests on
    (named,), _ = statements_of("method", "U-Net分割一张图像不到一秒。", passages, "zh", "Title: U-Net",
                                default=passages)
    assert named.sources == tuple(passages)
    # …and where the section has no sentences of its own (the overview reads the whole abstract), it rests on none
    _, (unanchored,) = statements_of("summary", "U-Net分割一张图像不到一秒。", passages, "zh", "Title: U-Net")
    assert unanchored["reason"] == "names nothing its sources state"
    # no passage: nothing stands
    assert statements_of("method", "分割一张图像不到一秒。", [], "zh")[1][0]["reason"] == "no source"
    # said in an earlier section: dropped as such
    _, again = statements_of("method", "该网络在ISBI 2015细胞追踪挑战赛中大幅领先获胜。", passages, "zh",
                             earlier=("该网络在ISBI 2015细胞追踪挑战赛中大幅领先获胜。",))
    assert again[0]["reason"] == "said before"


def test_a_change_said_the_other_way_round_is_caught():
    """BNN's abstract says binarising reduces memory; the analysis the issue found said it needs more."""
    assert problems("现有方法的缺点是需要更多的计算资源和内存访问。", [BNN], "zh") == ["change turned around: memory"]
    assert problems("BNNs need more memory than full-precision networks.", [BNN], "en") == [
        "change turned around: memory"]
    # Sources that state both directions for a thing hold a statement to neither (the second sentence is
    # made up for the test, not the paper's).
    both = BNN + " Storing the real-valued weights during training requires more memory."
    assert problems("训练时需要更多内存来保存实数权重。", [both], "zh") == []


def test_a_unit_is_matched_as_a_word():
    """(Made-up sentences.) "today" states no day: the statement is not held to "less than a day"."""
    source = "The model is retrained in less than a day."
    assert problems("The model is retrained today.", [source], "en") == []
    assert problems("The model is retrained in a few days.", [source], "en") == [
        "comparison turned around: 'less than a day'"]


def test_what_the_paper_only_expects_stays_expected():
    """BNN's abstract expects power-efficiency to improve; the analyses of the 2026-12-07 runs stated it as done."""
    assert problems("BNN在前向传播中减少了内存访问，从而提高了功率效率。", [BNN], "zh") == ["hedge dropped: energy"]
    assert problems("BNN在前向传播中减少了内存访问，这预期会大幅提高电源效率。", [BNN], "zh") == []
    assert problems("BNNs reduce memory accesses, which improves power efficiency.", [BNN], "en") == [
        "hedge dropped: energy"]
    assert problems("BNNs reduce memory accesses, which is expected to improve power efficiency.", [BNN], "en") == []
    # memory is stated plainly in the same sentence: a statement may state it plainly too
    assert problems("BNN大幅减少了内存大小和访问次数。", [BNN], "zh") == []
    # a plain statement of the same thing in another source lifts the hedge (made up for the test, not the paper's)
    plain = "The binary kernel improves power-efficiency by 40%."
    assert problems("BNN提高了功率效率。", [BNN, plain], "zh") == []


def test_a_statement_cites_the_fewest_passages_stating_its_names_and_figures():
    """DuoCore-FS's abstract (2512.20188): 'VLA' is in every sentence here; the one also stating DuoCore-FS and
    30 (Hz) is what a statement of those rests on, not every sentence naming VLA."""
    abstract = [Passage("Abstract", t) for t in (
        "Most Vision-Language-Action (VLA) systems integrate a Vision-Language Model (VLM) for semantic reasoning "
        "with an action expert generating continuous action signals, yet both typically run at a single unified "
        "frequency.",
        "We introduce a truly asynchronous Fast-Slow VLA framework (DuoCore-FS), organizing the system into a fast "
        "pathway for high-frequency action generation and a slow pathway for rich VLM reasoning.",
        "DuoCore-FS supports a 3B-parameter VLM while achieving 30 Hz whole-body action-chunk generation, "
        "approximately three times as fast as prior VLA models with comparable model sizes.",
        "Real-world whole-body manipulation experiments demonstrate improved task success rates and significantly "
        "enhanced responsiveness compared to synchronous Fast-Slow VLA baselines.")]
    statement = "DuoCore-FS在3B参数下实现了30 Hz的动作块生成，并且比同步Fast-Slow VLA基准线在任务成功率上有提升。"
    (shown,), dropped = statements_of("experiments", statement, abstract, "zh")
    # its names and figures are all in the third sentence; its comparison with the synchronous baselines is the
    # fourth's, cited beside it
    assert dropped == [] and shown.sources == (abstract[2], abstract[3])
    (plain,), _ = statements_of("experiments", "DuoCore-FS在3B参数下实现了30 Hz的动作块生成。", abstract, "zh")
    assert plain.sources == (abstract[2],)
    # a comparison no sentence states is not dropped for that (the other rules hold it), only not cited
    (alone,), _ = statements_of("experiments", "与已有工作相比，DuoCore-FS支持3B参数的VLM。", abstract[2:3], "zh")
    assert alone.sources == (abstract[2],)
    # names no one sentence states: the sentences stating them, in the order given (made-up pairing)
    sources = [Passage("Abstract", BNN), Passage("Abstract", UNET_SPEED), Passage("Abstract", UNET_ISBI)]
    (both,), _ = statements_of("summary", "该网络在ISBI 2015挑战赛中获胜，BNN减少了内存。", sources, "zh")
    assert both.sources == (sources[0], sources[2])


# The sentences two analyses of the 2026-12-07 runs were written from: BNN's experiments (1602.02830, its abstract and
# a sentence of "2. Benchmark Results" as read from its PDF) and VAP's contributions (2512.20014, abstract).
BNN_RESULTS = [
    Passage("Abstract", "On both, BNNs achieved nearly state-of-the-art results over the MNIST, CIFAR-10 and SVHN "
                        "datasets."),
    Passage("2. Benchmark Results", "Although BNNs are slower to train, they are nearly as accurate as 32-bit float "
            "DNNs. and AdaMax variants, which are detailed in Algorithms 3 and 4, whereas in our Theano experiments, "
            "we use vanilla BN and ADAM.")]
VAP = [Passage("Abstract", t) for t in (
    "To address this challenge, we propose Visual Attentive Prompting (VAP), a simple-yet-effective training-free "
    "perceptual adapter that equips frozen VLAs with top-down selective attention.",
    "VAP treats the reference images as a non-parametric visual memory, grounds the personal object in the scene "
    "through open-vocabulary detection and embedding-based matching, and then injects this grounding as a visual "
    "prompt by highlighting the object and rewriting the instruction.")]


def test_a_claim_to_be_better_rests_on_a_sentence_saying_so():
    """The wrong statement of the 2026-12-07 01:56 run: AdaMax and vanilla BN are BNN's optimiser and normalisation,
    not methods it beats; its sources say "nearly as accurate as", and "nearly state-of-the-art" is not better."""
    wrong = "主要结果表明BNNs在这些数据集上的表现与32位浮点DNN相当或优于AdaMax和Vanilla BN。"
    shown, (dropped,) = statements_of("experiments", wrong, BNN_RESULTS, "zh")
    assert shown == [] and dropped["reason"] == "superior claim not in its sources: 优于"
    assert statements_of("experiments", "BNNs在MNIST上的结果优于已有方法。", BNN_RESULTS[:1], "zh")[0] == []
    # A sentence that says so, stating one of the statement's names, backs it and is cited too (made up for the
    # test, not the paper's).
    better = Passage("Abstract", "On MNIST, BNNs outperform the full-precision baseline.")
    (stands,), _ = statements_of("experiments", "BNNs在MNIST上的结果优于已有方法。", [*BNN_RESULTS, better], "zh")
    assert stands.sources == (BNN_RESULTS[0], better)
    assert backed("BNNs outperform earlier binary networks on MNIST.", (BNN_RESULTS[0],), BNN_RESULTS, "en")[1] == [
        "superior claim not in its sources: outperform"]


def test_an_absolute_claim_rests_on_a_sentence_as_absolute():
    """The other wrong statement of that run: VAP uses a few reference images; "without relying on any" turns it
    around."""
    wrong = "VAP让冻结的VLAs在不依赖于任何参考图像的情况下选择和控制目标对象。"
    _, (dropped,) = statements_of("contributions", wrong, VAP, "zh")
    assert dropped["reason"] == "absolute claim not in its sources: 任何"
    plain_statement = "VAP把参考图像当作非参数的视觉记忆，让冻结的VLAs选择目标对象。"
    (plain,), _ = statements_of("contributions", plain_statement, VAP, "zh")
    assert plain.sources == (VAP[0],)  # the sentence naming VAP and VLAs
    # "without retraining" is as absolute as "无需任何重新训练"
    assert statements_of("experiments", "ActionFlow在OpenVLA-7B上无需任何重新训练。", [Passage("Abstract", ACTIONFLOW)],
                         "zh")[1] == []


def test_more_than_a_figure_stays_more_than_it():
    """The Transformer's abstract: "improving over the existing best results … by over 2 BLEU"."""
    source = ("Our model achieves 28.4 BLEU on the WMT 2014 Englishto-German translation task, improving over the "
              "existing best results, including ensembles, by over 2 BLEU.")
    assert problems("Transformer比现有的最佳结果提高了2 BLEU。", [source], "zh") == [
        "comparison turned around: 'over 2 BLEU'"]
    assert problems("Transformer比现有的最佳结果提高了超过2 BLEU。", [source], "zh") == []


def test_a_statement_naming_only_the_papers_own_name_cites_the_sentences_stating_it():
    """ActionFlow is the title's name: a statement naming only it rests on the sentences that state it, not on every
    sentence its section was given; a name no sentence states leaves it on its section's sentences, if any."""
    passages = [Passage("Abstract", UNET_SPEED), Passage("Abstract", ACTIONFLOW)]
    title = "Title: ActionFlow: A Pipelined Action Acceleration for Vision Language Models on Edge"
    statement = "ActionFlow让边缘硬件上的机器人实时动态操作成为可能。"
    (shown,), _ = statements_of("summary", statement, passages, "zh", title)
    assert shown.sources == (passages[1],)
    _, (dropped,) = statements_of("summary", "U-Net分割一张图像不到一秒。", passages, "zh", "Title: U-Net")
    assert dropped["reason"] == "names nothing its sources state"
