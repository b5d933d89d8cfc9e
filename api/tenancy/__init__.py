"""Admin endpoints: institutions, institution keys, bureau keys."""
