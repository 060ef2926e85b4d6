"""Fake hardware that speaks the real protocols, with fault injection."""
