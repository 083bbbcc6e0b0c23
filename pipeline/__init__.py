"""Offline stages: raw pages and reports become documents, entities, chunks and vectors."""
