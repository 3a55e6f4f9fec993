"""Decisions on cases, the letters that carry them, and the case dossier."""
