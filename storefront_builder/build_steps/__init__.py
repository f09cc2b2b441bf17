"""Build steps: small named functions over a shared ``BuildContext``, composed in order by ``build.py``."""
