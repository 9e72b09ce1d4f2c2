"""WeasyPrint's URL fetcher for letters: serves the app's own assets by name, nothing else.

Applicant text is escaped, so it cannot add elements; this is the second wall. Any URL that is
not on the allow-list (file:, http:, https:, data:, …) is refused before anything is opened.
"""

from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "letter-asset"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# URL → (local file, media type). Only these are ever read.
ASSETS: dict[str, tuple[Path, str]] = {
    f"{SCHEME}:fonts/DejaVuSans.ttf": (FONT_DIR / "DejaVuSans.ttf", "font/ttf"),
    f"{SCHEME}:fonts/DejaVuSans-Bold.ttf": (FONT_DIR / "DejaVuSans-Bold.ttf", "font/ttf"),
}

_cache: dict[str, bytes] = {}


class RefusedURL(ValueError):
    """A URL outside the allow-list of letter assets."""


class LetterAssetFetcher(URLFetcher):
    """Serve the allow-listed `letter-asset:` URLs from local files; refuse everything else.

    `served` and `refused` list the URLs asked for, so callers and tests can see what happened.
    """

    def __init__(self, assets: dict[str, tuple[Path, str]] | None = None):
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False)
        self.assets = ASSETS if assets is None else assets
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        """Return the asset named by `url`, or raise RefusedURL without opening anything."""
        asset = self.assets.get(url)
        if asset is None:
            self.refused.append(url)
            raise RefusedURL(f"URL utanför brevets tillåtna resurser: {url[:80]}")
        path, media_type = asset
        if url not in _cache:
            _cache[url] = path.read_bytes()
        self.served.append(url)
        return URLFetcherResponse(url, body=_cache[url], headers={"Content-Type": media_type})

    def open(self, url, data=None, timeout=None):
        """Never fall back to urllib's opener."""
        return self.fetch(url if isinstance(url, str) else url.full_url)
