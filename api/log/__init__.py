"""The public face of the Merkle log."""
