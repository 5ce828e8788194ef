use super::sealed::Sealed;
use super::*;
use mudu_runtime::blocking::submitted_on_this_thread;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Resolves on a fresh loop and reports how many jobs this thread handed to the blocking pool meanwhile.
fn resolve_counting<A: ToSocketAddrs>(target: A) -> (io::Result<Vec<SocketAddr>>, u64) {
    let before = submitted_on_this_thread();
    let result = mudu_runtime::block_on(async { resolve(&target).await });
    (result, submitted_on_this_thread() - before)
}

fn invalid_message<A: ToSocketAddrs>(target: A) -> String {
    let (result, jobs) = resolve_counting(target);
    let err = result.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert_eq!(jobs, 0, "malformed input must be refused before any lookup");
    err.to_string()
}

/// Resolves a literal and checks that it took no pool job.
#[track_caller]
fn expect_literal<A: ToSocketAddrs>(target: A, expected: &[SocketAddr]) {
    let (result, jobs) = resolve_counting(target);
    assert_eq!(result.unwrap(), expected);
    assert_eq!(jobs, 0, "a literal used the blocking pool");
}

#[test]
fn literals_resolve_without_the_pool() {
    let v4 = sa("192.0.2.7:80");
    let v6 = sa("[2001:db8::7]:443");
    let ip6: Ipv6Addr = "2001:db8::7".parse().unwrap();
    expect_literal(v4, &[v4]);
    expect_literal(SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 7), 80), &[v4]);
    expect_literal(SocketAddrV6::new(ip6, 443, 0, 0), &[v6]);
    expect_literal((v4.ip(), 80), &[v4]);
    expect_literal((Ipv4Addr::new(192, 0, 2, 7), 80), &[v4]);
    expect_literal((ip6, 443), &[v6]);
    expect_literal(("192.0.2.7", 80), &[v4]);
    expect_literal(("2001:db8::7", 443), &[v6]);
    expect_literal(("[2001:db8::7]", 443), &[v6]);
    expect_literal((String::from("192.0.2.7"), 80), &[v4]);
    expect_literal("192.0.2.7:80", &[v4]);
    expect_literal("[2001:db8::7]:443", &[v6]);
    expect_literal(String::from("[2001:db8::7]:443"), &[v6]);
    expect_literal(&[v6, v4][..], &[v6, v4]);
    expect_literal([v4, v6], &[v4, v6]);
    expect_literal(vec![v4, v6, v4], &[v4, v6, v4]);
    let by_ref: &SocketAddr = &v4;
    expect_literal(by_ref, &[v4]);
    let owned = String::from("192.0.2.7:80");
    let by_ref: &String = &owned;
    expect_literal(by_ref, &[v4]);
}

#[test]
fn host_names_go_to_the_pool() {
    let name = |s: &str, port| Resolution::Lookup {
        host: s.to_owned(),
        port,
    };
    assert_eq!(
        "example.com:80".resolution().unwrap(),
        name("example.com", 80)
    );
    assert_eq!(
        ("example.com", 8).resolution().unwrap(),
        name("example.com", 8)
    );
    assert_eq!(
        (String::from("db.internal"), 5432).resolution().unwrap(),
        name("db.internal", 5432)
    );
    // A scoped IPv6 literal is not something `IpAddr` parses; the system resolver handles it.
    assert_eq!(
        "[fe80::1%lo]:22".resolution().unwrap(),
        name("fe80::1%lo", 22)
    );
}

#[test]
fn localhost_resolves_to_loopback_on_the_pool() {
    for target in [
        resolve_counting(("localhost", 8080)),
        resolve_counting("localhost:8080"),
    ] {
        let (result, jobs) = target;
        let addrs = result.unwrap();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080),
            "{addrs:?}"
        );
        assert_eq!(jobs, 1, "one lookup, on the pool");
    }
}

#[test]
fn lookup_host_yields_the_addresses() {
    let addrs: Vec<_> = mudu_runtime::block_on(lookup_host(("localhost", 1)))
        .unwrap()
        .collect();
    assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 1));
}

#[test]
fn missing_port_is_invalid_input_naming_the_input() {
    let msg = invalid_message("nohost");
    assert!(
        msg.contains("`nohost`") && msg.contains("host:port"),
        "{msg}"
    );
    let msg = invalid_message("[::1]");
    assert!(
        msg.contains("`[::1]`") && msg.contains("port is missing"),
        "{msg}"
    );
}

#[test]
fn bad_port_is_invalid_input_naming_the_input() {
    let msg = invalid_message("1.2.3.4:notaport");
    assert!(
        msg.contains("`1.2.3.4:notaport`") && msg.contains("`notaport`"),
        "{msg}"
    );
    let msg = invalid_message("localhost:65536");
    assert!(
        msg.contains("`localhost:65536`") && msg.contains("0 to 65535"),
        "{msg}"
    );
    let msg = invalid_message(String::from("localhost:"));
    assert!(msg.contains("`localhost:`"), "{msg}");
}

#[test]
fn bad_brackets_are_invalid_input_naming_the_input() {
    let msg = invalid_message("[::1");
    assert!(
        msg.contains("`[::1`") && msg.contains("matching `]`"),
        "{msg}"
    );
    let msg = invalid_message("::1:80");
    assert!(
        msg.contains("`::1:80`") && msg.contains("brackets"),
        "{msg}"
    );
    let msg = invalid_message("host]:80");
    assert!(msg.contains("`host]:80`"), "{msg}");
}

#[test]
fn empty_host_is_invalid_input() {
    let msg = invalid_message(":80");
    assert!(msg.contains("`:80`") && msg.contains("empty"), "{msg}");
    let msg = invalid_message(("", 80));
    assert!(msg.contains("(\"\", 80)") && msg.contains("empty"), "{msg}");
}

#[test]
fn failed_lookup_names_the_host() {
    // `.invalid` is reserved (RFC 2606, RFC 6761): resolvers must answer that it does not exist.
    let (result, jobs) = resolve_counting(("no-such-host.invalid", 80));
    let err = result.unwrap_err();
    assert_eq!(jobs, 1);
    assert!(err.to_string().contains("`no-such-host.invalid`"), "{err}");
}
