"""Command-line layer of the storefront builder: the only place in the package that reads or writes files."""
