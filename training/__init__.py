"""Datasets, the synthetic data generator, and the training and evaluation command-line tools."""
