//! Loom model of the anchor's count (task/anchor.rs): the loop closing it while tasks are freed on other
//! threads. Whatever the interleaving, the anchor must be released exactly once, and only after every
//! anchored task is freed and the loop is gone.

use crate::task::anchor::Anchor;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

/// One model run: `remote` tasks freed on threads of their own, while the loop, whose tally says
/// `remote` tasks are still out (all it created minus those it freed itself), closes the anchor.
fn close_while_freed_elsewhere(remote: usize) {
    loom::model(move || {
        let anchor = Arc::new(Anchor::new());
        // Parties that have started their step (counted before it), and releases of the anchor.
        let started = Arc::new(AtomicUsize::new(0));
        let released = Arc::new(AtomicUsize::new(0));
        let parties = remote + 1;
        let release = {
            let (started, released) = (started.clone(), released.clone());
            move || {
                assert_eq!(
                    started.load(SeqCst),
                    parties,
                    "released before every party was done"
                );
                released.fetch_add(1, SeqCst);
            }
        };
        let threads: Vec<_> = (0..remote)
            .map(|_| {
                let (anchor, started, release) = (anchor.clone(), started.clone(), release.clone());
                thread::spawn(move || {
                    started.fetch_add(1, SeqCst);
                    if anchor.release_remote() {
                        release();
                    }
                })
            })
            .collect();
        started.fetch_add(1, SeqCst);
        if anchor.close(remote) {
            release();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            released.load(SeqCst),
            1,
            "the anchor is released exactly once"
        );
    });
}

#[test]
fn anchor_released_once_with_one_task_freed_elsewhere() {
    close_while_freed_elsewhere(1);
}

#[test]
fn anchor_released_once_with_two_tasks_freed_elsewhere() {
    close_while_freed_elsewhere(2);
}

#[test]
fn anchor_released_at_close_when_no_task_is_left() {
    loom::model(|| {
        let anchor = Anchor::new();
        assert!(anchor.close(0));
    });
}
