"""The floors `python -m tests.eval --floors` and the tests hold the project to, in one place.

Each sits a little below what fr_core_news_md measured (docs/eval.md); fr_core_news_sm clears them too.
"""

# Our extraction (with metadata, tables and links, no comments) must not lose snippets to bare trafilatura
# on the same pages: our accuracy >= theirs minus this margin. Both measured 0.929 (143 of 154 snippets).
EXTRACTION_MARGIN = 0.0

# Absolute snippet accuracy of our extraction on extraction-fr: measured 0.929; 0.90 allows about four
# more snippets wrong before failing.
EXTRACTION_ACCURACY = 0.90

# ESS gold sentences, whole pipeline (gazetteer + model + dates). ORG F1 measured 0.900 (0.476 for the model
# alone: the gazetteer is what makes ESS organisations findable); fr_core_news_sm 0.901.
ESS_ORG_F1 = 0.85

# DATE F1 measured 1.0 with both models; the spaCy models find no dates at all, our tagger does.
ESS_DATE_F1 = 0.95

# Overall entity F1 of our pipeline (DATE left out) per CoNLL sample, about 0.03 below what was measured:
# 0.803 on Wikipedia (silver), 0.454 and 0.434 on historical newspaper OCR (fr_core_news_sm: 0.774, 0.433, 0.418).
CONLL_F1 = {
    "wikineural_fr_test_sample300": 0.77,
    "hipe2020_fr_test_sample300": 0.42,
    "europeana_fr_bnf_sample300": 0.40,
}

# Retrieval nDCG@10 on PIAF (1,518 Wikipedia paragraphs, the first 1,000 questions with qrels): keyword 0.806,
# semantic 0.761, hybrid 0.846 (French keyword analysis and the fusion chosen on PIAF's tuning half:
# docs/ranking.md; before them 0.695, 0.761, 0.812). Hybrid must beat each single mode by at least this much
# (measured +0.040 over keyword, +0.085 over semantic) and clear the absolute floor.
PIAF_HYBRID_GAIN = 0.02
PIAF_HYBRID_NDCG = 0.82

# Ranking on sets nothing was chosen on (tests/eval/fusion.py, docs/ranking.md). Keyword mode (tantivy's BM25,
# best chunk per document) against rank_bm25's BM25Okapi over the same chunks and French terms: PIAF held-out
# 0.7641 against 0.7639, press set 0.9683 against 0.9761 (the "at least the textbook" missed there by
# 0.008). Hybrid above the better of keyword and semantic: +0.046 on PIAF held-out, +0.012 on the press set.
KEYWORD_BELOW_TEXTBOOK = {"piaf": 0.005, "press": 0.012}
HYBRID_GAIN = {"piaf": 0.03, "press": 0.008}

# Retrieval nDCG@10 on the 49 demo queries (tests/fixtures/queries_demo.jsonl) with fr_core_news_md: hybrid
# 0.924, keyword 0.908, semantic 0.787 (before the keyword analysis and the new fusion: 0.844, 0.750 and
# 0.728 with fr_core_news_sm). One query moves a mean by about 0.02: each floor allows about two queries'
# worth of loss. Hybrid must not fall below the best single mode minus the margin (measured 0.016 above keyword).
DEMO_NDCG = {"hybrid": 0.88, "keyword": 0.86, "semantic": 0.74}
DEMO_HYBRID_MARGIN = 0.02

# Which pages are documents (tests/eval/articles.py): every article page of the bench and demo sites, short ones
# included, and none of their homes, listings, tag, legal or service pages. Measured 1.0 and 1.0 on both.
ARTICLES_INDEXED = 1.0
OTHER_PAGES_SKIPPED = 1.0

# The article rule on real pages written by others (tests/fixtures/real_pages, tests/eval/real_pages.py), held-out
# split: articles kept 113 of 123 (0.919; the rule before 69), articles whose markup says article kept 102 of 107
# (0.953; before 60), non-articles skipped 24 of 39 (0.615; before 26). Issue 27's targets (every marked article,
# at most 1 non-article in 10 kept) are not reached; these floors keep what was reached.
REAL_PAGES_ARTICLES_KEPT = 0.90
REAL_PAGES_MARKED_ARTICLES_KEPT = 0.94
REAL_PAGES_OTHERS_SKIPPED = 0.60

# What a search counts for a query about nothing in the corpus (tests/eval/totals.py), per set and mode, at the
# default similarity floor: at most one document (the floor before, 0.82, counted 7 on PIAF and the press set).
OFF_TOPIC_COUNTED = 1

# Entities on real pages (tests/fixtures/gold_real), held-out half: distinct ORG+PER+LOC entities per page.
# fr_core_news_md measured precision 0.604 and recall 0.668 with our layers (0.549 and 0.661 alone);
# fr_core_news_sm 0.536 and 0.594 (0.418 and 0.587 alone) and does not clear these floors. The targets of
# issue 13 (0.90 and 0.85) are not reached: docs/eval.md says where the rest of the errors lie.
REAL_PRECISION = 0.58
REAL_RECALL = 0.64
# Gold dates found with exactly the gold ISO value: measured 1.0 on the held-out half.
REAL_DATE_VALUES = 0.95
