from caseway.assist.passages import split_passages


def test_short_paragraphs_are_passages_of_their_own():
    text = "First paragraph here.\nSecond one, short too."
    assert split_passages(text) == ["First paragraph here.", "Second one, short too."]


def test_long_paragraphs_are_cut_at_sentence_ends_into_verbatim_slices():
    sentence = "This sentence has exactly eight words in it. "
    paragraph = (sentence * 20).strip()
    passages = split_passages(paragraph, max_words=20)
    assert len(passages) > 1
    for passage in passages:
        assert passage in paragraph
        assert passage.endswith(".")
        assert len(passage.split()) <= 20


def test_a_sentence_longer_than_the_limit_stays_whole():
    paragraph = " ".join(["word"] * 30) + ". Short one."
    assert split_passages(paragraph, max_words=10) == [" ".join(["word"] * 30) + ".", "Short one."]


def test_empty_text_has_no_passages():
    assert split_passages("") == []
    assert split_passages("\n \n") == []
