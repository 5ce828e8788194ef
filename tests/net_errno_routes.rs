//! The connect errno table on real routes, in a network namespace this test
//! makes for itself: `unshare --user --map-root-user --net` re-runs the test
//! binary as root of a fresh, empty namespace (no root needed outside), where
//! the child brings `lo` up and adds the routes below. The addresses exist
//! only inside that namespace; no packet leaves it.
//!
//! ```text
//! destination      route in the namespace   connect()     kind (disposition)
//! 10.9.0.1         unreachable              EHOSTUNREACH  Unreachable (retry)
//! 10.10.0.1        prohibit                 EACCES        PermissionDenied (fatal)
//! 10.11.0.1        blackhole                EINVAL        Unreachable (retry)
//! 10.12.0.1        none                     ENETUNREACH   Unreachable (retry)
//! ```
//!
//!
//! Three more in the same namespace, about the caller's socket or the
//! host's settings:
//! - a socket the caller bound to 127.0.0.1, dialling 10.1.0.2 through a
//!   veth that is up: `EINVAL`, given up as `Other`, not taken for a
//!   `blackhole` route;
//! - a socket bound to `lo` with `SO_BINDTODEVICE`, dialling the link-local
//!   `[fe80::1]` behind a `blackhole` route: `EINVAL`, retried as
//!   `Unreachable` (a socket bound to no interface gives up, as the target
//!   lacks a scope id);
//! - with `net.ipv6.bindv6only` = 1, a peer on 127.0.0.1 written as
//!   `[::ffff:127.0.0.1]`: reached, dialled as IPv4 (an IPv6 socket would
//!   answer `ENETUNREACH`).
//!
//! Needs `unshare` (util-linux) and `ip` (iproute2); without them the test
//! fails, naming what is missing, rather than skipping in silence.

mod util;

use mudu::net::{ConnectErrorKind, TcpStream};
use std::net::SocketAddr;
use std::process::Command;

const CHILD: &str = "MUDU_NETNS_CHILD";
const TEST: &str = "errno_table_on_real_routes_in_a_network_namespace";
const MARKER: &str = "routes checked:";

struct Case {
    route: &'static str,
    target: &'static str,
    errno: i32,
    kind: ConnectErrorKind,
    retryable: bool,
}

const CASES: [Case; 4] = [
    Case {
        route: "unreachable 10.9.0.0/16",
        target: "10.9.0.1:80",
        errno: libc::EHOSTUNREACH,
        kind: ConnectErrorKind::Unreachable,
        retryable: true,
    },
    Case {
        route: "prohibit 10.10.0.0/16",
        target: "10.10.0.1:80",
        errno: libc::EACCES,
        kind: ConnectErrorKind::PermissionDenied,
        retryable: false,
    },
    Case {
        route: "blackhole 10.11.0.0/16",
        target: "10.11.0.1:80",
        errno: libc::EINVAL,
        kind: ConnectErrorKind::Unreachable,
        retryable: true,
    },
    Case {
        route: "",
        target: "10.12.0.1:80",
        errno: libc::ENETUNREACH,
        kind: ConnectErrorKind::Unreachable,
        retryable: true,
    },
];

fn ip(args: &str) {
    let status = Command::new("ip")
        .args(args.split_whitespace())
        .status()
        .unwrap_or_else(|e| panic!("cannot run `ip {args}`: {e}"));
    assert!(status.success(), "`ip {args}` failed: {status}");
}

/// Inside the namespace: set the routes up, then connect to each target.
fn check_routes() {
    ip("link set lo up");
    for case in CASES.iter().filter(|c| !c.route.is_empty()) {
        ip(&format!("route add {}", case.route));
    }
    mudu::block_on(async {
        for case in &CASES {
            let addr: SocketAddr = case.target.parse().unwrap();
            let err = match TcpStream::connect(addr).await {
                Ok(_) => panic!("{addr} connected inside an empty namespace"),
                Err(err) => err,
            };
            assert_eq!(
                err.io_error().raw_os_error(),
                Some(case.errno),
                "route {:?}: {err}",
                case.route
            );
            assert_eq!(err.kind(), case.kind, "route {:?}", case.route);
            assert_eq!(err.is_retryable(), case.retryable, "route {:?}", case.route);
            assert_eq!(err.addr(), addr);
        }
    });
    check_loopback_bound_socket();
    check_link_local_on_a_device();
    check_mapped_peer_with_bindv6only();
    println!("{MARKER} {}", CASES.len());
}

/// A loopback source can reach no peer through another interface; the route itself is fine.
fn check_loopback_bound_socket() {
    ip("link add veth0 type veth peer name veth1");
    ip("addr add 10.1.0.1/24 dev veth0");
    ip("link set veth0 up");
    mudu::block_on(async {
        let socket = mudu::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let err = socket
            .connect("10.1.0.2:80".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EINVAL), "{err}");
        assert_eq!(err.kind(), ConnectErrorKind::Other, "{err}");
        assert!(!err.is_retryable());
    });
}

/// A socket bound to an interface needs no scope id for a link-local target: its `EINVAL` comes from
/// a `blackhole` route, as for any other target, and is retried (without the device it would be the
/// missing scope id, `InvalidAddress`).
fn check_link_local_on_a_device() {
    ip("-6 route add blackhole fe80::1/128");
    mudu::block_on(async {
        let target: SocketAddr = "[fe80::1]:80".parse().unwrap();
        let socket = mudu::net::TcpSocket::new_v6().unwrap();
        socket2::SockRef::from(&socket)
            .bind_device(Some(b"lo"))
            .unwrap();
        let err = socket.connect(target).await.unwrap_err();
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EINVAL), "{err}");
        assert_eq!(err.kind(), ConnectErrorKind::Unreachable, "{err}");
        let err = TcpStream::connect(target).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::InvalidAddress, "{err}");
    });
}

/// New IPv6 sockets are v6-only here, so only an IPv4 socket reaches the mapped form of an IPv4 peer.
fn check_mapped_peer_with_bindv6only() {
    std::fs::write("/proc/sys/net/ipv6/bindv6only", "1").unwrap();
    mudu::block_on(async {
        let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mapped: SocketAddr = format!("[::ffff:127.0.0.1]:{port}").parse().unwrap();
        let stream = TcpStream::connect(mapped).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    });
}

fn require_tool(name: &str, probe: &[&str]) {
    let found = Command::new(name)
        .args(probe)
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "`{name}` is needed for this test (unshare: util-linux, ip: iproute2)"
    );
}

#[test]
fn errno_table_on_real_routes_in_a_network_namespace() {
    if util::is_child(CHILD) {
        return check_routes();
    }
    require_tool("unshare", &["--version"]);
    require_tool("ip", &["-V"]);
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net"])
        .arg(exe)
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the namespace child failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(&format!("{MARKER} {}", CASES.len())),
        "the namespace child did not check the routes:\n{stdout}\n{stderr}"
    );
}
