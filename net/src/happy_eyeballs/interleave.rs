//! The order in which Happy Eyeballs tries addresses: families interleaved (RFC 8305, section 4).
//!
//! Rules: the family of the first address leads (the resolver already put the preferred family first:
//! `getaddrinfo` sorts by RFC 6724, which ranks IPv6 first on a host with working IPv6 and IPv4 first
//! where IPv6 is unusable); then the families alternate, one address each ("First Address Family Count"
//! of 1); when one family runs out, the rest of the other follows. Within a family the resolver's order
//! is kept.
//!
//! ```text
//!   resolver order:  6a 6b 6c 4a 4b        interleaved:  6a 4a 6b 4b 6c
//!   resolver order:  4a 4b 4c 6a           interleaved:  4a 6a 4b 4c
//! ```

use std::net::SocketAddr;

/// Reorders `addrs` so that address families alternate, led by the family of the first address.
///
/// ```
/// use mudu_net::happy_eyeballs::interleave;
/// use std::net::SocketAddr;
///
/// let a = |s: &str| s.parse::<SocketAddr>().unwrap();
/// let resolved = vec![a("[2001:db8::1]:80"), a("[2001:db8::2]:80"), a("192.0.2.1:80")];
/// assert_eq!(
///     interleave(resolved),
///     [a("[2001:db8::1]:80"), a("192.0.2.1:80"), a("[2001:db8::2]:80")]
/// );
/// ```
pub fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(lead_is_v6) = addrs.first().map(SocketAddr::is_ipv6) else {
        return addrs;
    };
    let mut out = Vec::with_capacity(addrs.len());
    let (lead, other): (Vec<_>, Vec<_>) = addrs
        .into_iter()
        .partition(|addr| addr.is_ipv6() == lead_is_v6);
    let (mut lead, mut other) = (lead.into_iter(), other.into_iter());
    loop {
        match (lead.next(), other.next()) {
            (None, None) => return out,
            (first, second) => out.extend(first.into_iter().chain(second)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_led_list_alternates_and_keeps_order_within_families() {
        let (v6a, v6b, v6c) = (a("[::a]:1"), a("[::b]:1"), a("[::c]:1"));
        let (v4a, v4b) = (a("10.0.0.1:1"), a("10.0.0.2:1"));
        assert_eq!(
            interleave(vec![v6a, v6b, v6c, v4a, v4b]),
            [v6a, v4a, v6b, v4b, v6c]
        );
        assert_eq!(interleave(vec![v6a, v4a, v4b, v6b]), [v6a, v4a, v6b, v4b]);
    }

    #[test]
    fn ipv4_led_list_keeps_ipv4_first() {
        let (v4a, v4b, v4c) = (a("10.0.0.1:1"), a("10.0.0.2:1"), a("10.0.0.3:1"));
        let v6a = a("[::a]:1");
        assert_eq!(interleave(vec![v4a, v4b, v4c, v6a]), [v4a, v6a, v4b, v4c]);
    }

    #[test]
    fn single_family_and_empty_lists_are_unchanged() {
        let list = vec![a("10.0.0.2:1"), a("10.0.0.1:1"), a("10.0.0.3:1")];
        assert_eq!(interleave(list.clone()), list);
        let list = vec![a("[::2]:1"), a("[::1]:1")];
        assert_eq!(interleave(list.clone()), list);
        assert_eq!(interleave(Vec::new()), []);
    }
}
