"""WeasyPrint's URL fetcher for letters: serves the app's own assets by name, nothing else.

Applicant text is escaped, so it cannot add elements; this is the second wall. Any URL that is
not on the allow-list (file:, http:, https:, data:, …) is refused before anything is opened.
The allow-list is the two letter fonts, the sRGB colour profile and, when the fetcher is given
one, the configured logo (`letter-asset:logo`, read from the LETTER_LOGO file).
"""

import logging
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import weasyprint
from PIL import Image
from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "letter-asset"
LOGO_URL = f"{SCHEME}:logo"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
MAX_LOGO_BYTES = 2 * 2**20
SVG_NS = "http://www.w3.org/2000/svg"

SRGB_PROFILE = Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc"

# URL → (local file, media type). Only these (and the configured logo) are ever read.
ASSETS: dict[str, tuple[Path, str]] = {
    f"{SCHEME}:fonts/DejaVuSans.ttf": (FONT_DIR / "DejaVuSans.ttf", "font/ttf"),
    f"{SCHEME}:fonts/DejaVuSans-Bold.ttf": (FONT_DIR / "DejaVuSans-Bold.ttf", "font/ttf"),
    # PDF/A output intent (letter.css @color-profile): WeasyPrint's own sRGB profile.
    f"{SCHEME}:colour/sRGB2014.icc": (SRGB_PROFILE, "application/vnd.iccprofile"),
}

_cache: dict[str, bytes] = {}
log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL outside the allow-list of letter assets."""


def logo_media_type(body: bytes) -> str | None:
    """`image/png`, `image/jpeg` or `image/svg+xml` by the file's content (a PNG or JPEG that
    Pillow can read, or XML without entity declarations whose root element is <svg>); None for
    anything else."""
    if body.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        try:
            with Image.open(BytesIO(body)) as image:
                image.verify()
        except Exception:  # any decoding error: not a usable image
            return None
        return "image/png" if body[:1] == b"\x89" else "image/jpeg"
    if b"<!ENTITY" in body:  # entity expansion ("billion laughs"): refused, as defusedxml does
        return None
    try:  # the configured file, without entities; expat never fetches anything
        root = ElementTree.fromstring(body)  # noqa: S314
    except ElementTree.ParseError:
        return None
    return "image/svg+xml" if root.tag == f"{{{SVG_NS}}}svg" else None


def read_logo(path: str | Path | None) -> tuple[bytes, str] | None:
    """The logo file's bytes and media type; None (and a warning) if it cannot be used.

    An empty setting means "no logo" and is not warned about.
    """
    if not path:
        return None
    try:
        with open(path, "rb") as file:
            body = file.read(MAX_LOGO_BYTES + 1)
    except OSError as error:
        log.warning("Brevets logotyp kan inte läsas (%s); brevet skapas utan logotyp", error)
        return None
    media_type = logo_media_type(body) if len(body) <= MAX_LOGO_BYTES else None
    if media_type is None:
        log.warning("Brevets logotyp %s är inte en PNG-, JPEG- eller SVG-fil på högst %d MiB; "
                    "brevet skapas utan logotyp", path, MAX_LOGO_BYTES // 2**20)
        return None
    return body, media_type


class LetterAssetFetcher(URLFetcher):
    """Serve the allow-listed `letter-asset:` URLs from local files; refuse everything else.

    `logo` is the LETTER_LOGO path: it is read once, here, and served as `letter-asset:logo`;
    without one (or if it is unreadable) that URL is refused like any other. `served` and
    `refused` list the URLs asked for, so callers and tests can see what happened.
    """

    def __init__(self, assets: dict[str, tuple[Path, str]] | None = None,
                 logo: str | Path | None = None):
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False)
        self.assets = ASSETS if assets is None else assets
        self.logo = read_logo(logo)
        self.served: list[str] = []
        self.refused: list[str] = []

    @property
    def has_logo(self) -> bool:
        """Whether `letter-asset:logo` will be served."""
        return self.logo is not None

    def fetch(self, url, headers=None):
        """Return the asset named by `url`, or raise RefusedURL without opening anything."""
        if url == LOGO_URL and self.logo is not None:
            body, media_type = self.logo
        elif (asset := self.assets.get(url)) is not None:
            path, media_type = asset
            if url not in _cache:
                _cache[url] = path.read_bytes()
            body = _cache[url]
        else:
            self.refused.append(url)
            raise RefusedURL(f"URL utanför brevets tillåtna resurser: {url[:80]}")
        self.served.append(url)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})

    def open(self, url, data=None, timeout=None):
        """Never fall back to urllib's opener."""
        return self.fetch(url if isinstance(url, str) else url.full_url)
