"""The image fetcher's network side: the SSRF guard (``guard.py``), fetching one URL (``fetch.py``) and the
background jobs the app owns (``jobs.py``). Its rules are in ``server/domain/fetch_policy.py`` and its records in
``server/services/image_fetch.py``; see docs/SECURITY.md, "Fetching image URLs"."""
