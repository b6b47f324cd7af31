"""The rules of the product, each owned once; every HTTP surface calls these."""
