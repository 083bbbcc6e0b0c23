"""Language identification of documents (py3langid, trained on 97 languages, runs offline)."""

from __future__ import annotations

from functools import lru_cache

SAMPLE_CHARS = 3000


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or too mixed to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.split()) < 5:
        return None
    language, probability = _identifier().classify(sample)
    return language if probability >= 0.5 else None
