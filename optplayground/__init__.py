"""optplayground: watch optimizers race across loss surfaces and small datasets."""

__version__ = "0.1.0"
