"""Hypothesis strategies shared by the property tests: JSON-like values and answers."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = [
    "any_text",
    "human_replies",
    "json_scalars",
    "json_values",
    "near_misses",
    "profile_answers",
]

JSON = Any

any_text: st.SearchStrategy[str] = st.text(max_size=20) | st.text(
    st.characters(exclude_categories=()), max_size=5
)
"""Text, sometimes with what storage chokes on: NUL, lone surrogates (category Cs)."""

json_scalars: st.SearchStrategy[JSON] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
"""What a JSON document can hold at a leaf (no NaN or infinity: JSON has neither)."""

json_values: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON-like value: what a client may send as a resume payload."""

human_replies: st.SearchStrategy[dict[str, JSON]] = st.builds(lambda data: {"data": data}, any_text)
"""Valid answers to `HumanReply`: the tutorial's `{"data": "..."}`."""

profile_answers: st.SearchStrategy[dict[str, JSON]] = st.fixed_dictionaries(
    {"name": any_text, "birthday": st.dates().map(lambda d: d.isoformat())},
    optional={"nickname": st.none() | any_text},
)
"""Valid answers to the tests' `Profile` model (`name`, ISO `birthday`, optional `nickname`)."""


def near_misses(valid: st.SearchStrategy[dict[str, JSON]]) -> st.SearchStrategy[JSON]:
    """Answers one edit away from a valid one: a key dropped, added, or given another value.

    Random JSON rarely looks like a real answer; these probe the edges of a schema.
    """

    @st.composite
    def edit(draw: st.DrawFn) -> JSON:
        answer = dict(draw(valid))
        how = draw(st.sampled_from(["drop", "add", "replace"]))
        if how == "drop" and answer:
            answer.pop(draw(st.sampled_from(sorted(answer))))
        elif how == "add":
            answer[draw(any_text)] = draw(json_values)
        elif answer:
            answer[draw(st.sampled_from(sorted(answer)))] = draw(json_values)
        return answer

    return edit()
