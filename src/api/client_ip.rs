//! The client's address: the TCP peer, unless the peer is one of our own
//! reverse proxies (`TRUSTED_PROXIES`), in which case it is what the proxies
//! forwarded.
//!
//! A forwarding header is a chain: each proxy appends the address it got the
//! request from. Only the right-hand end was written by proxies we trust;
//! anything further left may be the client's own invention. So the chain is
//! walked from the right, skipping trusted proxies, and the first address that
//! is not one of them is the client. An entry on that walk that is not an
//! address (`unknown`, an obfuscated name, garbage) makes the header useless,
//! and the peer is used instead.
//!
//! Both `X-Forwarded-For` and RFC 7239 `Forwarded: for=` are read. A proxy that
//! writes only one of them passes the other through from the client untouched,
//! so when both are present they must name the same client; if they do not,
//! one of them is forged and the peer is used.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName, FORWARDED, X_FORWARDED_FOR};
use actix_web::{web, HttpRequest};
use ipnet::IpNet;

use super::AppState;

/// `TRUSTED_PROXIES`: the networks whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated networks in CIDR notation (`10.0.0.0/8,::1/128`); a
    /// bare address is that one host. Empty entries are ignored.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            nets.push(parse_network(entry)?);
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_network(entry: &str) -> Result<IpNet, String> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    let net: IpNet = entry
        .parse()
        .map_err(|_| format!("{entry:?} is not an address or a network such as 10.0.0.0/8"))?;
    // 10.0.0.1/8 is probably a typo; trusting a whole network must be said plainly.
    if net.trunc() != net {
        return Err(format!(
            "{entry:?} has host bits set; write the network as {}",
            net.trunc()
        ));
    }
    Ok(net)
}

/// The address the request came from, as the login rate limit, the request's
/// log span and anything else that needs it should see it. `None` only when the
/// connection has no IP peer.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| &state.config.trusted_proxies);
    Some(match trusted {
        Some(trusted) => resolve(peer, req.headers(), trusted),
        None => peer.to_canonical(),
    })
}

/// The bucket an address counts in for rate limits and lockouts: an IPv4
/// address as is, an IPv6 address by its /64 (one subscriber's network:
/// whoever has one can pick any of its 2^64 addresses).
pub fn limit_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{network}/64")
        }
    }
}

/// The client behind `peer`, given the request's headers.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let from_xff = walk(hops(headers, &X_FORWARDED_FOR, x_forwarded_for), trusted);
    let from_forwarded = walk(hops(headers, &FORWARDED, forwarded_for), trusted);
    match (from_xff, from_forwarded) {
        (Chain::Client(a), Chain::Client(b)) if a == b => a,
        (Chain::Client(a), Chain::Absent) | (Chain::Absent, Chain::Client(a)) => a,
        _ => peer,
    }
}

/// What one forwarding header says about the client.
#[derive(Debug, PartialEq)]
enum Chain {
    Absent,
    Malformed,
    Client(IpAddr),
}

/// One hop of a chain: the address a proxy received the request from, or
/// `None` when the entry names no address.
type Hop = Option<IpAddr>;

/// The hops of every line of header `name`, left to right (none when the
/// header is absent); `Err` when a line cannot be read.
fn hops(
    headers: &HeaderMap,
    name: &HeaderName,
    parse: fn(&str) -> Result<Vec<Hop>, ()>,
) -> Result<Vec<Hop>, ()> {
    let mut all = Vec::new();
    for line in headers.get_all(name) {
        let text = line.to_str().map_err(|_| ())?;
        all.extend(parse(text)?);
    }
    Ok(all)
}

/// From the right: skip trusted proxies; the first other address is the
/// client. If every hop is a trusted proxy, the left-most is the client.
fn walk(hops: Result<Vec<Hop>, ()>, trusted: &TrustedProxies) -> Chain {
    let Ok(hops) = hops else {
        return Chain::Malformed;
    };
    let mut leftmost = None;
    for hop in hops.iter().rev() {
        let Some(ip) = *hop else {
            return Chain::Malformed;
        };
        if !trusted.contains(ip) {
            return Chain::Client(ip);
        }
        leftmost = Some(ip);
    }
    match leftmost {
        Some(ip) => Chain::Client(ip),
        // No header, or one with no entries, says nothing.
        None => Chain::Absent,
    }
}

/// `X-Forwarded-For: 203.0.113.7, 10.0.0.2`. Empty list elements are skipped
/// (RFC 9110 section 5.6.1).
fn x_forwarded_for(value: &str) -> Result<Vec<Hop>, ()> {
    Ok(value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(node)
        .collect())
}

/// `Forwarded: for=203.0.113.7;proto=https, for="[2001:db8::1]:4711"`
/// (RFC 7239): one element per hop; an element without `for` is a hop with no
/// address.
fn forwarded_for(value: &str) -> Result<Vec<Hop>, ()> {
    let mut hops = Vec::new();
    for element in split_unquoted(value, ',')?
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let mut hop = None;
        for pair in split_unquoted(element, ';')?
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair.split_once('=').ok_or(())?;
            if name.trim().eq_ignore_ascii_case("for") {
                hop = node(&unquote(value.trim())?);
            }
        }
        hops.push(hop);
    }
    Ok(hops)
}

/// Splits on `sep` outside double quotes; `Err` on an unterminated quote.
fn split_unquoted(s: &str, sep: char) -> Result<Vec<&str>, ()> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return Err(());
    }
    parts.push(&s[start..]);
    Ok(parts)
}

/// A token, or a quoted-string with its backslash escapes undone.
fn unquote(value: &str) -> Result<String, ()> {
    let Some(inner) = value.strip_prefix('"') else {
        return if value.contains('"') {
            Err(())
        } else {
            Ok(value.to_string())
        };
    };
    let inner = inner.strip_suffix('"').ok_or(())?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().ok_or(())?
        } else {
            c
        });
    }
    Ok(out)
}

/// An address, optionally with a port: `192.0.2.1`, `192.0.2.1:80`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:80`.
fn node(text: &str) -> Hop {
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<std::net::Ipv6Addr>().ok())
                .map(IpAddr::V6)
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let key = |s: &str| limit_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append((*name).clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const PROXY: &str = "10.0.0.1";
    const PROXIES: &str = "10.0.0.0/8,127.0.0.1/32,::1/128";

    fn client(pairs: &[(&HeaderName, &str)]) -> IpAddr {
        resolve(ip(PROXY), &headers(pairs), &trusted(PROXIES))
    }

    #[test]
    fn parses_networks_and_single_hosts() {
        let t = trusted(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,, ::1/128 ");
        assert!(t.contains(ip("10.255.0.1")));
        assert!(t.contains(ip("192.0.2.7")));
        assert!(!t.contains(ip("192.0.2.8")));
        assert!(t.contains(ip("2001:db8:1::5")));
        assert!(t.contains(ip("::1")));
        assert!(!t.contains(ip("11.0.0.1")));
        // An IPv4 peer seen through a dual-stack socket.
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert!(trusted("").is_empty());
    }

    #[test]
    fn refuses_malformed_networks() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "localhost",
            "10.0.0.0/8;192.0.2.0/24",
            "::1/129",
            "10.0.0.1/8",
            "10.0.0.0/",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let h = headers(&[(&X_FORWARDED_FOR, "203.0.113.9")]);
        assert_eq!(
            resolve(ip("198.51.100.1"), &h, &trusted(PROXIES)),
            ip("198.51.100.1")
        );
        assert_eq!(
            resolve(ip(PROXY), &h, &TrustedProxies::default()),
            ip(PROXY)
        );
    }

    #[test]
    fn walks_from_the_right_skipping_trusted_proxies() {
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "203.0.113.9")]),
            ip("203.0.113.9")
        );
        // A forged left-most entry does not move the client.
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "1.2.3.4, 203.0.113.9, 10.0.0.7")]),
            ip("203.0.113.9")
        );
        // Several header lines are one list.
        assert_eq!(
            client(&[
                (&X_FORWARDED_FOR, "1.2.3.4"),
                (&X_FORWARDED_FOR, "203.0.113.9, 10.0.0.7")
            ]),
            ip("203.0.113.9")
        );
        // Everyone on the chain is ours: the left-most is the client.
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "10.0.0.5, 10.0.0.7")]),
            ip("10.0.0.5")
        );
        // Ports and brackets; empty elements are skipped.
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "203.0.113.9:5555,, 10.0.0.7")]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "[2001:db8::9]:443")]),
            ip("2001:db8::9")
        );
        // No header: the proxy itself.
        assert_eq!(client(&[]), ip(PROXY));
    }

    #[test]
    fn reads_rfc_7239_forwarded() {
        assert_eq!(
            client(&[(&FORWARDED, "for=203.0.113.9;proto=https;by=10.0.0.1")]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(&[(
                &FORWARDED,
                r#"for=1.2.3.4, for="[2001:db8::9]:4711", For=10.0.0.7"#
            )]),
            ip("2001:db8::9")
        );
        // Commas and semicolons inside quotes do not split.
        assert_eq!(
            client(&[(&FORWARDED, r#"for=203.0.113.9;host="a,b;c""#)]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn malformed_or_unknown_hops_fall_back_to_the_peer() {
        for (name, value) in [
            (&X_FORWARDED_FOR, "203.0.113.9, garbage"),
            (&X_FORWARDED_FOR, "unknown"),
            (&FORWARDED, "for=unknown"),
            (&FORWARDED, "for=_hidden, for=10.0.0.7"),
            (&FORWARDED, "proto=https"),
            (&FORWARDED, r#"for="203.0.113.9"#),
            (&FORWARDED, "for"),
            (&FORWARDED, "for=203.0.113.9\""),
        ] {
            assert_eq!(client(&[(name, value)]), ip(PROXY), "{value}");
        }
        // Garbage left of the client is never reached.
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "garbage, 203.0.113.9")]),
            ip("203.0.113.9")
        );
        // Bytes that are not visible ASCII.
        let mut h = HeaderMap::new();
        h.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.\xff").unwrap(),
        );
        assert_eq!(resolve(ip(PROXY), &h, &trusted(PROXIES)), ip(PROXY));
    }

    #[test]
    fn both_headers_must_agree() {
        assert_eq!(
            client(&[
                (&X_FORWARDED_FOR, "203.0.113.9"),
                (&FORWARDED, "for=203.0.113.9")
            ]),
            ip("203.0.113.9")
        );
        // A proxy that writes one header passes a forged other one through.
        assert_eq!(
            client(&[
                (&X_FORWARDED_FOR, "203.0.113.9"),
                (&FORWARDED, "for=198.51.100.77")
            ]),
            ip(PROXY)
        );
        assert_eq!(
            client(&[(&X_FORWARDED_FOR, "203.0.113.9"), (&FORWARDED, "for=x")]),
            ip(PROXY)
        );
    }
}
