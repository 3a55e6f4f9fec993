"""Seeded benchmarks that print figures (run each as a module: `python -m bench.<name>`)."""
