//! Who a visitor is, as far as counting clicks needs and no further: their network and a
//! visitor key, both salted hashes of a *truncated* address. The raw address is cut in the
//! request handler, before the hit enters the recorder's queue, and is never written anywhere.
//!
//! - IPv4 is cut to its /24 and IPv6 to its /48 (a site's prefix: one household or office), an
//!   IPv4-mapped IPv6 address (`::ffff:192.0.2.7`, what a dual-stack socket reports) read as the
//!   IPv4 address it carries.
//! - `network` = SHA-256 over the organization's salt and the cut address: hits from one
//!   network can be grouped (a scanner farm) without knowing the network.
//! - `visitor` = SHA-256 over the salt, the cut address and the user agent: "the same visitor"
//!   for duplicates — two people behind one router with the same phone model count once an
//!   hour, which is the price of not storing addresses.
//!
//! The salt is per organization and never leaves the database ([`crate::Referrals::salt`]):
//! the 2^24 IPv4 /24 networks are too few to keep an unsalted hash secret, and one
//! organization's hashes cannot be joined with another's.
//!
//! The client address is the TCP peer's (`ConnectInfo`), never `X-Forwarded-For`: a header
//! anyone can write would let one script be a thousand visitors. Behind a reverse proxy every
//! visitor has the proxy's address and repeat clicks within the hour from the same browser
//! model read as duplicates; a trusted-proxy setting would lift that.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// The address with its host part cleared: IPv4 to /24, IPv6 to /48, IPv4-mapped IPv6 as IPv4.
pub fn truncate(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(truncate_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(truncate_v4(v4)),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        },
    }
}

fn truncate_v4(ip: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, _] = ip.octets();
    Ipv4Addr::new(a, b, c, 0)
}

/// The `network` column: the salted hash of a truncated address (lower-case hex).
pub fn network_hash(salt: &str, truncated: IpAddr) -> String {
    hash(&[
        b"network",
        salt.as_bytes(),
        truncated.to_string().as_bytes(),
    ])
}

/// The `visitor` column: the salted hash of a truncated address and a user agent.
pub fn visitor_hash(salt: &str, truncated: IpAddr, user_agent: &str) -> String {
    hash(&[
        b"visitor",
        salt.as_bytes(),
        truncated.to_string().as_bytes(),
        user_agent.as_bytes(),
    ])
}

/// SHA-256 over the parts, each preceded by its length so that no two lists of parts hash
/// alike ("ab" + "c" is not "a" + "bc").
fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn ipv4_keeps_its_24_bit_network() {
        assert_eq!(truncate(ip("192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(truncate(ip("10.1.2.3")), truncate(ip("10.1.2.250")));
        assert_ne!(truncate(ip("10.1.2.3")), truncate(ip("10.1.3.3")));
    }

    #[test]
    fn ipv6_keeps_its_48_bit_prefix() {
        assert_eq!(
            truncate(ip("2001:db8:abcd:12:34:56:78:9a")),
            ip("2001:db8:abcd::")
        );
        assert_eq!(
            truncate(ip("2001:db8:abcd:ffff::1")),
            truncate(ip("2001:db8:abcd:1::2"))
        );
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_is_its_ipv4_address() {
        assert_eq!(truncate(ip("::ffff:192.0.2.77")), ip("192.0.2.0"));
    }

    #[test]
    fn hashes_depend_on_the_salt_and_never_show_the_address() {
        let net = truncate(ip("192.0.2.77"));
        let a = network_hash("salt-a", net);
        assert_eq!(a.len(), 64);
        assert_ne!(a, network_hash("salt-b", net));
        assert!(!a.contains("192"));
        let ua = "Mozilla/5.0";
        assert_eq!(
            visitor_hash("s", net, ua),
            visitor_hash("s", truncate(ip("192.0.2.5")), ua),
            "one network and one browser are one visitor"
        );
        assert_ne!(visitor_hash("s", net, ua), visitor_hash("s", net, "curl/8"));
        assert_ne!(visitor_hash("s", net, ua), network_hash("s", net));
    }
}
