"""Citations by construction: an answer without [n] is traced to the blocks that hold its facts."""

from agent.attribution import attribute, salient_tokens


def test_numbers_and_names_pick_the_block_the_answer_came_from():
    blocks = ["Sick leave: 10 days a year.", "Annual leave: 25 days; carry over 5 days until 31 March."]
    assert attribute("Employees get 25 days of annual leave.", blocks) == [2]


def test_a_number_matches_only_as_a_whole_number():
    blocks = ["Order 250 shipped.", "Order 25 is pending."]
    assert attribute("It is 25.", blocks) == [2]


def test_an_answer_drawn_from_two_blocks_cites_both_best_first():
    blocks = ["Zenith Pharma Ltd owes 163,958.75 USD.", "Unrelated text about travel.",
              "Zenith Pharma Ltd is in the DACH region."]
    assert attribute("Zenith Pharma Ltd, in DACH, owes 163958.75.", blocks) == [1, 3]


def test_japanese_answers_match_by_character_pairs():
    blocks = ["東京オフィスの勤務時間は9時から18時です。", "有給休暇は25日です。"]
    assert attribute("勤務時間は9時から18時です。", blocks) == [1]


def test_an_answer_with_nothing_to_match_cites_the_best_ranked_block():
    assert attribute("Yes.", ["first", "second"]) == [1]
    assert attribute("Yes.", []) == []


def test_salient_tokens_skip_stop_words_and_short_words():
    assert salient_tokens("How many days are in the Annual leave, 25?") == ["days", "annual", "leave", "25"]
