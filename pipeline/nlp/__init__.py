"""Entities of a text: the spaCy pipeline with the gazetteer's names matched before the model, span
cleaning and French dates. Gives ``records.Mention``; writes nothing. Imports ``entities`` and ``records``."""
