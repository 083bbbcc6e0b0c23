"""The one generic spider lives here; a source needs a registry entry, never code."""
