"""The test suite (a package, so `tests.helpers` is ours wherever another installed package ships a `tests`)."""
