//! The reconnect example against its own server that comes and goes, on the
//! virtual clock: every round's greeting arrives, and the last state it
//! tells is the client's stop.

#[path = "../examples/reconnect.rs"]
#[allow(dead_code)]
mod reconnect;

use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn the_example_reconnects_each_round_and_tells_its_last_state() {
    let lines = Rc::new(RefCell::new(Vec::<String>::new()));
    let log = Rc::clone(&lines);
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(reconnect::session(
        None,
        Rc::new(move |line| log.borrow_mut().push(line)),
    ))
    .unwrap();
    let lines = lines.borrow();
    let greetings: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.trim().strip_prefix("received: "))
        .collect();
    assert_eq!(
        greetings,
        ["hello, round 1", "hello, round 2", "hello, round 3"],
        "{lines:#?}"
    );
    let last = lines.last().map(String::as_str).unwrap_or_default();
    assert!(last.ends_with("disconnected (stopped)"), "{lines:#?}");
}
