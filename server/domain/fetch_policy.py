"""Which image URLs the server may fetch, and which addresses it may connect to (the SSRF guard's rules).

Pure: the I/O edge (``server/image_fetch/``) parses the URL once with the same parser its HTTP client uses, asks
``FetchPolicy.url_refusal`` about each hop's scheme, host and port, resolves the host itself and asks
``address_refusal`` about every address before it connects to exactly those addresses. The outcome codes a fetch
can end with, and their Korean and English text, are defined here once.

Addresses refused: unspecified, loopback, link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10),
private (10/8, 172.16/12, 192.168/16, fc00::/7), shared carrier-grade NAT (100.64/10), multicast, and everything
else that is not globally routable (documentation, benchmarking, reserved, broadcast). IPv6 forms that carry an
IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``) are judged by the IPv4 address inside.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

Mode = Literal["off", "allowlist", "any"]
MODES: tuple[Mode, ...] = ("off", "allowlist", "any")
SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_BYTES = 2048  # stored as a key (store, url → image); longer ones are refused, not truncated

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

OutcomeCode = Literal["fetched", "fetch_off", "bad_url", "disallowed_scheme", "disallowed_host",
                      "refused_private_address", "redirect_limit", "http_status", "too_large", "too_many_pixels",
                      "not_an_image", "timeout", "unreachable", "error"]
# The stable outcome of one URL: (Korean, English). Clients and tests switch on the code, never on the text.
OUTCOMES: dict[OutcomeCode, tuple[str, str]] = {
    "fetched": ("이미지를 가져와 저장했습니다", "fetched and stored"),
    "fetch_off": ("이 서버는 이미지 URL을 가져오지 않습니다 (VRSTORE_IMAGE_FETCH=off)",
                  "this server does not fetch image URLs (VRSTORE_IMAGE_FETCH=off)"),
    "bad_url": ("올바른 URL이 아닙니다", "not a usable URL"),
    "disallowed_scheme": ("http 또는 https URL만 가져옵니다", "only http and https URLs are fetched"),
    "disallowed_host": ("허용 목록에 없는 호스트입니다", "the host is not on the allowlist"),
    "refused_private_address": ("내부·사설 네트워크 주소로는 요청하지 않습니다",
                                "refused: the host is a loopback, link-local, private or reserved address"),
    "redirect_limit": ("리디렉션이 너무 많습니다", "too many redirects"),
    "http_status": ("서버가 이미지를 주지 않았습니다 (HTTP 상태 코드)", "the server answered with an HTTP error"),
    "too_large": ("파일이 크기 제한을 넘습니다", "the file is over the size limit"),
    "too_many_pixels": ("이미지의 픽셀 수가 너무 많습니다", "the image has too many pixels"),
    "not_an_image": ("PNG, JPEG, WebP 이미지가 아닙니다 (내용으로 판단)",
                     "not a PNG, JPEG or WebP image (judged by its bytes)"),
    "timeout": ("시간 안에 응답이 끝나지 않았습니다", "no complete answer in time"),
    "unreachable": ("서버에 연결할 수 없습니다", "the server could not be reached"),
    "error": ("서버 내부 오류로 가져오지 못했습니다", "the fetch failed on our side; the server log has details"),
}

assert set(get_args(OutcomeCode)) == set(OUTCOMES)

JobStatus = Literal["off", "none", "queued", "running", "finished", "failed", "cancelled"]
ACTIVE_STATUSES = ("queued", "running")
# A store's latest fetch in words; "off" and "none" are stores without a job.
STATUS_TEXT: dict[JobStatus, tuple[str, str]] = {
    "off": ("이 서버는 이미지 URL을 가져오지 않습니다. 이미지는 직접 올려 주세요 (VRSTORE_IMAGE_FETCH=off)",
            "This server does not fetch image URLs; upload the images instead (VRSTORE_IMAGE_FETCH=off)"),
    "none": ("아직 이미지를 가져온 적이 없습니다", "No image fetch has run for this store yet"),
    "queued": ("곧 이미지를 가져옵니다", "The image fetch is about to start"),
    "running": ("이미지를 가져오는 중입니다", "Fetching the images"),
    "finished": ("이미지 가져오기가 끝났습니다. URL마다 결과를 확인하세요",
                 "The image fetch is done; see the outcome of each URL"),
    "failed": ("이미지 가져오기가 중단되었습니다", "The image fetch stopped on an error"),
    "cancelled": ("서버가 멈추어 이미지 가져오기가 취소되었습니다. 다시 요청해 주세요",
                  "The server shut down during the fetch; ask again"),
}

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
# Not globally routable, named explicitly: ``is_global`` differs between Python patch releases.
_RESERVED = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "240.0.0.0/4", "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Refusal:
    """Why a URL is not fetched: an ``OUTCOMES`` code and a detail naming what was refused."""

    code: OutcomeCode
    detail: str


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an IP address (an IPv6 zone is kept), or None when it is a host name."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # NAT64, or IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> str | None:
    """Why a connection to ``ip`` is refused ("loopback", "private", …), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local"  # a zone names a local interface
        ip = ipaddress.IPv6Address(int(ip))
        if ip.is_unspecified:
            return "unspecified"
        if ip.is_loopback:
            return "loopback"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            kind = address_kind(inner)
            if kind:
                return f"{kind} (IPv4 {inner} inside {ip})"
            return "reserved" if ip in _IPV4_COMPATIBLE else None  # ::a.b.c.d is deprecated (RFC 4291)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if any(ip in net for net in _PRIVATE if net.version == ip.version):
        return "private"
    if any(ip in net for net in _RESERVED if net.version == ip.version) or ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def host_entry(entry: str) -> str:
    """One allowlist entry, normalised: ``cdn.shopify.com`` (that host) or ``*.example.com`` (its subdomains).
    Raises ValueError for anything else (a URL, a port, a path, an empty label)."""
    text = entry.strip().lower().rstrip(".")
    name = text.removeprefix("*.")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{entry!r} is not a host name like cdn.shopify.com or *.example.com")
    return text


def _numeric_host(host: str) -> bool:
    """A host made only of numbers (``2130706433``, ``0x7f.1``, ``127.1``): legacy IPv4 spellings that resolvers
    map onto addresses. They are refused outright rather than trusted to any one parser."""
    return all(_NUMERIC_LABEL.fullmatch(label) for label in host.split("."))


@dataclass(frozen=True)
class FetchPolicy:
    """The switch (``mode``), the allowlist, and ``trusted``: (address, port) pairs allowed although their
    address is refused. ``trusted`` is for the test suite's own local server only: the app factory takes it as
    a keyword argument, never from the environment, and logs a warning when it is given."""

    mode: Mode = "off"
    hosts: tuple[str, ...] = ()
    trusted: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def allows_host(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        if self.mode == "any":
            return True
        if self.mode == "off":
            return False
        return any(name == entry or (entry.startswith("*.") and name.endswith(entry[1:])) for entry in self.hosts)

    def url_refusal(self, scheme: str, host: str | None, port: int | None) -> Refusal | None:
        """Whether one hop (the first URL or a redirect's target) may be requested at all."""
        if self.mode == "off":
            return Refusal("fetch_off", "image fetching is off")
        if scheme.lower() not in SCHEMES:
            return Refusal("disallowed_scheme", f"{scheme or 'no'} scheme; only http and https")
        if not host or port is None:
            return Refusal("bad_url", "the URL has no host")
        address = parse_address(host)
        if address is None and _numeric_host(host.lower().rstrip(".")):
            return Refusal("bad_url", f"{host!r} is a numeric host that is not a plain IP address")
        if not self.allows_host(host):
            return Refusal("disallowed_host", f"{host} is not on VRSTORE_IMAGE_FETCH_HOSTS")
        return self.address_refusal(address, port) if address is not None else None

    def address_refusal(self, address: IPAddress | str, port: int) -> Refusal | None:
        """Whether the server may connect to ``address``:``port`` (a literal host, or what a name resolved to)."""
        ip = address if not isinstance(address, str) else parse_address(address)
        if ip is None:
            return Refusal("refused_private_address", f"{address!r} is not an IP address")
        if (str(ip), port) in self.trusted:
            return None
        kind = address_kind(ip)
        return Refusal("refused_private_address", f"{ip} is {kind}") if kind else None
