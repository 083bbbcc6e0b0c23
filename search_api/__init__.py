"""Read-only FastAPI service over what the pipeline wrote."""
