"""A folder's Unigram tokenizer run by sentencepiece: the ids of its ``tokenizer.json`` in a fifth of the memory.

``tokenizers`` holds a Unigram vocabulary in a trie of hash maps: multilingual e5's 250,002 pieces cost about
280 MB in every process that embeds (each API worker, ``ess process``). sentencepiece holds the same pieces and
scores in a double-array trie, about 55 MB. ``convert`` writes them as a sentencepiece model beside the int8
encoder when the tokenizer is made of parts reproduced here: Replace and Unicode normalizers (run in Python), a
Metaspace pre-tokenizer, special tokens matched in the raw text, and a ``<s> A </s>`` template. It then
checks the copy against ``tokenizers`` on ``PARITY_TEXTS`` and keeps it only if every id agrees. Anything else
keeps ``tokenizers`` and says why in ``tokenizer-sentencepiece.json``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

MODEL_FILE = "tokenizer.spm"
RECIPE_FILE = "tokenizer-sentencepiece.json"
UNICODE_FORMS = ("NFC", "NFD", "NFKC", "NFKD")
# What the copy must tokenize exactly as the original: prose, spacing, control and unknown characters, special
# tokens written in the text, and more than 512 tokens.
PARITY_TEXTS = (
    "passage: La coopérative d'activité et d'emploi accompagne quarante entrepreneurs salariés.",
    "query: Qui préside la chambre régionale de l'ESS (CRESS) en Bretagne ?",
    "  deux  espaces,\ttabulation\net retour\r\nà la ligne ",
    "contrôle\x00\x07\x1f caractères\u200b invisibles\ufeff et \u2581 séparateur",
    "ligatures ﬁ ﬂ, exposants ², largeur pleine ＡＢＣ, œuvre, Œ, ½, ‰",
    "😀 emoji, 中文, العربية, ελληνικά, кириллица, ∑∫√",
    "un <s>balisage</s> et <mask> dans le texte <pad> <unk>",
    "",
    " ",
    "économie sociale et solidaire " * 120,
)


class Unsupported(ValueError):
    """The tokenizer has a part this module does not reproduce."""


def convert(model_dir: Path, target_dir: Path) -> str | None:
    """Write the sentencepiece copy of ``model_dir``'s tokenizer into ``target_dir``; None when it is kept,
    else why not (also recorded, so that the conversion is tried once)."""
    from tokenizers import Tokenizer

    original = model_dir / "tokenizer.json"
    source = json.loads(original.read_text(encoding="utf-8"))
    recipe_path = target_dir / RECIPE_FILE
    try:
        recipe, proto = recipe_of(source), model_proto(source)
        (target_dir / MODEL_FILE).write_bytes(proto)
        recipe_path.write_text(json.dumps(recipe, indent=1))
        reason = parity_problem(
            SentencePieceTokenizer(target_dir), Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        )
    except Unsupported as exc:
        reason = str(exc)
    if reason:
        (target_dir / MODEL_FILE).unlink(missing_ok=True)
        recipe_path.write_text(json.dumps({"kept": "tokenizers", "why": reason}, indent=1))
    return reason


def converted(target_dir: Path) -> bool:
    return (target_dir / MODEL_FILE).exists() and "steps" in json.loads((target_dir / RECIPE_FILE).read_text())


def tried(target_dir: Path) -> bool:
    return (target_dir / RECIPE_FILE).exists()


def recipe_of(source: dict) -> dict:
    """What runs around sentencepiece: normalizer steps, the Metaspace prefix, special tokens and the template."""
    if (source.get("model") or {}).get("type") != "Unigram":
        raise Unsupported(f"the model is {source.get('model', {}).get('type')}, not Unigram")
    pre = source.get("pre_tokenizer") or {}
    if pre.get("type") != "Metaspace" or pre.get("replacement") != "\u2581" or pre.get("split") is False:
        raise Unsupported(f"pre-tokenizer {pre.get('type')} is not a splitting Metaspace with '\u2581'")
    if pre.get("prepend_scheme", "always" if pre.get("add_prefix_space", True) else "never") != "always":
        raise Unsupported("the Metaspace prefix is not prepended to every segment")
    special = {t["content"]: t["id"] for t in source.get("added_tokens", []) if t.get("special")}
    if any(t.get("lstrip") or t.get("rstrip") or t.get("normalized") for t in source.get("added_tokens", [])):
        raise Unsupported("an added token strips spaces or is normalized")
    return {
        "steps": normalizer_steps(source.get("normalizer")),
        "special": special,
        "around": template_ids(source.get("post_processor"), special),
        "pad": special.get("<pad>", 0),
    }


def normalizer_steps(normalizer: dict | None) -> list[dict]:
    if normalizer is None:
        return []
    if normalizer["type"] == "Sequence":
        return [step for part in normalizer["normalizers"] for step in normalizer_steps(part)]
    if normalizer["type"] in UNICODE_FORMS:
        return [{"form": normalizer["type"]}]
    if normalizer["type"] == "Replace":
        pattern = normalizer["pattern"]
        regex = pattern["Regex"] if "Regex" in pattern else re.escape(pattern["String"])
        return [{"regex": regex, "by": normalizer["content"]}]
    raise Unsupported(f"normalizer {normalizer['type']} is not reproduced")


def template_ids(processor: dict | None, special: dict[str, int]) -> list[list[int]]:
    """The ids before and after the text, from a ``<s> A </s>`` template."""
    if processor and processor.get("type") == "TemplateProcessing":
        single = processor["single"]
        if len(single) == 3 and "SpecialToken" in single[0] and "Sequence" in single[1] and "SpecialToken" in single[2]:
            return [[special[single[0]["SpecialToken"]["id"]]], [special[single[2]["SpecialToken"]["id"]]]]
    if processor and processor.get("type") == "RobertaProcessing":
        return [[processor["cls"][1]], [processor["sep"][1]]]
    raise Unsupported(f"post-processor {(processor or {}).get('type')} is not a '<s> A </s>' template")


def model_proto(source: dict) -> bytes:
    """The vocabulary and scores as a sentencepiece Unigram model that normalizes nothing itself."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    model.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    unknown = source["model"]["unk_id"]
    model.trainer_spec.unk_id = unknown
    model.trainer_spec.bos_id = model.trainer_spec.eos_id = model.trainer_spec.pad_id = -1
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False  # the Metaspace prefix is added here, per segment
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    special = {t["content"] for t in source.get("added_tokens", [])}
    kinds = pb.ModelProto.SentencePiece
    for number, (text, score) in enumerate(source["model"]["vocab"]):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        piece.type = kinds.UNKNOWN if number == unknown else kinds.CONTROL if text in special else kinds.NORMAL
    return model.SerializeToString()


class SentencePieceTokenizer:
    """Token ids of texts, special tokens around them, truncated to ``max_tokens`` as ``tokenizers`` does."""

    def __init__(self, folder: Path, max_tokens: int = 512):
        import sentencepiece

        recipe = json.loads((folder / RECIPE_FILE).read_text(encoding="utf-8"))
        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / MODEL_FILE))
        self.steps = [(re.compile(s["regex"]), s["by"]) if "regex" in s else s["form"] for s in recipe["steps"]]
        self.special = recipe["special"]
        self.splitter = re.compile("(" + "|".join(map(re.escape, sorted(self.special, key=len, reverse=True))) + ")")
        self.before, self.after = recipe["around"]
        self.pad_id, self.max_tokens = recipe["pad"], max_tokens

    def ids(self, texts: list[str]) -> list[list[int]]:
        room = self.max_tokens - len(self.before) - len(self.after)
        return [self.before + self.text_ids(text)[:room] + self.after for text in texts]

    def text_ids(self, text: str) -> list[int]:
        """Special tokens written in the text keep their ids; each piece between them is normalized and
        prefixed with a space (Metaspace's '\u2581') on its own, as ``tokenizers`` splits them."""
        ids: list[int] = []
        for number, part in enumerate(self.splitter.split(text) if self.special else [text]):
            if number % 2:
                ids.append(self.special[part])
            elif part := self.normalized(part):
                ids += self.processor.encode(part if part.startswith(" ") else " " + part)
        return ids

    def normalized(self, text: str) -> str:
        for step in self.steps:
            text = unicodedata.normalize(step, text) if isinstance(step, str) else step[0].sub(step[1], text)
        return text


def parity_problem(copy: SentencePieceTokenizer, original) -> str | None:
    """Where the copy's ids differ from the original's on ``PARITY_TEXTS``; None when they never do."""
    original.enable_truncation(copy.max_tokens)
    for text, ids in zip(PARITY_TEXTS, copy.ids(list(PARITY_TEXTS)), strict=True):
        if ids != original.encode(text).ids:
            return f"sentencepiece's ids differ from the tokenizer's on {text[:40]!r}"
    return None
