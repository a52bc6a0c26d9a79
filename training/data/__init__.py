"""Data layer: synthetic bags, bag reading/extraction, dataset folders, torch datasets."""
