"""The SSRF guard's rules (server/domain/fetch_policy.py): which addresses are refused, and which URLs are
requested at all, as tables."""

from __future__ import annotations

import ipaddress

import pytest

from server.domain.fetch_policy import FetchPolicy, address_kind, host_entry
from server.settings import SettingsProblem, load_settings

REFUSED = [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"), ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("10.0.0.1", "private"), ("10.255.255.255", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
    ("192.168.1.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("100.64.0.1", "shared (carrier-grade NAT)"), ("100.127.255.254", "shared (carrier-grade NAT)"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"), ("0.1.2.3", "reserved"), ("192.0.0.8", "reserved"),
    ("192.0.2.1", "reserved"), ("198.18.0.1", "reserved"), ("203.0.113.9", "reserved"), ("2001:db8::1", "reserved"),
    ("::8.8.8.8", "reserved"), ("2001::1", "reserved"), ("100::1", "reserved"),
    # IPv6 spellings of refused IPv4 addresses: judged by the address inside
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"), ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::7f00:1", "loopback"), ("2002:a00:1::", "private"), ("::127.0.0.1", "loopback"),
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "23.1.2.3", "2606:4700::1111", "2a00:1450::1",
          "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_refused_addresses(address: str, kind: str) -> None:
    found = address_kind(ipaddress.ip_address(address))
    assert found is not None and found.startswith(kind)
    refusal = FetchPolicy(mode="any").address_refusal(address, 80)
    assert refusal is not None and refusal.code == "refused_private_address"


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) is None
    assert FetchPolicy(mode="any").address_refusal(address, 443) is None


def test_a_trusted_pair_opens_that_port_of_that_address_only() -> None:
    policy = FetchPolicy(mode="any", trusted=frozenset({("127.0.0.1", 8081)}))
    assert policy.address_refusal("127.0.0.1", 8081) is None
    for address, port in (("127.0.0.1", 8082), ("::ffff:127.0.0.1", 8081), ("::1", 8081), ("127.0.0.2", 8081)):
        refusal = policy.address_refusal(address, port)
        assert refusal is not None and refusal.code == "refused_private_address", (address, port)


ALLOW = ("cdn.shopify.com", "*.example.com")
URLS = [
    # (mode, scheme, host, port, outcome or None)
    ("off", "https", "cdn.shopify.com", 443, "fetch_off"),
    ("any", "ftp", "cdn.shopify.com", 21, "disallowed_scheme"),
    ("any", "file", "", None, "disallowed_scheme"),
    ("any", "gopher", "cdn.shopify.com", 70, "disallowed_scheme"),
    ("any", "https", "", 443, "bad_url"),
    ("any", "http", "2130706433", 80, "bad_url"),
    ("any", "http", "0x7f.1", 80, "bad_url"),
    ("any", "http", "127.1", 80, "bad_url"),
    ("any", "http", "127.0.0.1", 80, "refused_private_address"),
    ("any", "http", "169.254.169.254", 80, "refused_private_address"),
    ("any", "http", "[::1]", 80, "refused_private_address"),
    ("any", "http", "::ffff:7f00:1", 80, "refused_private_address"),
    ("any", "https", "images.example.org", 443, None),
    ("any", "HTTPS", "8.8.8.8", 443, None),
    ("allowlist", "https", "cdn.shopify.com", 443, None),
    ("allowlist", "https", "CDN.Shopify.com.", 443, None),
    ("allowlist", "https", "evil-cdn.shopify.com", 443, "disallowed_host"),
    ("allowlist", "https", "shopify.com", 443, "disallowed_host"),
    ("allowlist", "https", "img.example.com", 443, None),
    ("allowlist", "https", "a.b.example.com", 443, None),
    ("allowlist", "https", "example.com", 443, "disallowed_host"),
    ("allowlist", "https", "example.com.evil.org", 443, "disallowed_host"),
    ("allowlist", "http", "127.0.0.1", 80, "disallowed_host"),
]


@pytest.mark.parametrize(("mode", "scheme", "host", "port", "outcome"), URLS)
def test_url_policy(mode: str, scheme: str, host: str, port: int | None, outcome: str | None) -> None:
    refusal = FetchPolicy(mode=mode, hosts=ALLOW).url_refusal(scheme, host, port)  # type: ignore[arg-type]
    assert (refusal.code if refusal else None) == outcome


@pytest.mark.parametrize("entry", ["https://cdn.shopify.com", "cdn.shopify.com:443", "cdn.shopify.com/x", "", "*.",
                                   "a..b", "-a.com", "*.*.example.com", "ex ample.com"])
def test_bad_allowlist_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="is not a host name"):
        host_entry(entry)


def test_allowlist_entries_are_normalised() -> None:
    assert host_entry(" CDN.Shopify.com. ") == "cdn.shopify.com"
    assert host_entry("*.Example.com") == "*.example.com"


@pytest.mark.parametrize(("env", "message"), [
    ({"VRSTORE_IMAGE_FETCH": "allowlist"}, "VRSTORE_IMAGE_FETCH_HOSTS=[]: VRSTORE_IMAGE_FETCH=allowlist needs"),
    ({"VRSTORE_IMAGE_FETCH": "all"}, "VRSTORE_IMAGE_FETCH='all'"),
    ({"VRSTORE_IMAGE_FETCH_HOSTS": "https://cdn.shopify.com"}, "is not a host name"),
])
def test_a_bad_fetch_setting_is_one_line(env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsProblem) as caught:
        load_settings()
    assert message in str(caught.value) and "\n" not in str(caught.value)
