"""The gallery: every format of every cell in a folder, with its index, handbook and verification record."""
