//! `ReleaseWatch`: tasks learn that a registered source went away, and only the watches of that
//! source wake.

use mudu::io::IoSource;
use mudu::task::yield_now;
use std::future::poll_fn;
use std::rc::Rc;

fn listener() -> IoSource<mio::net::TcpListener> {
    let addr = "127.0.0.1:0".parse().unwrap();
    IoSource::new(mio::net::TcpListener::bind(addr).unwrap()).unwrap()
}

#[test]
fn every_watch_of_a_source_wakes_when_it_goes_and_no_other() {
    mudu::block_on(async {
        let (a, b) = (listener(), listener());
        let waiting: Vec<_> = [&a, &a, &b]
            .into_iter()
            .map(|source| {
                let watch = source.registration().release_watch();
                mudu::spawn(async move { poll_fn(|cx| watch.poll_released(cx)).await })
            })
            .collect();
        // A watch dropped while it waits disturbs none of the others.
        let dropped = a.registration().release_watch();
        let dropped = Rc::new(dropped);
        let gone = mudu::spawn({
            let dropped = Rc::clone(&dropped);
            async move { poll_fn(|cx| dropped.poll_released(cx)).await }
        });
        yield_now().await;
        gone.abort();
        drop(dropped);
        yield_now().await;
        assert!(waiting.iter().all(|task| !task.is_finished()));

        drop(a);
        yield_now().await;
        let finished: Vec<bool> = waiting.iter().map(|task| task.is_finished()).collect();
        assert_eq!(
            finished,
            [true, true, false],
            "only the dropped source's watches woke"
        );

        drop(b);
        for task in waiting {
            task.await.unwrap();
        }
    });
}

#[test]
fn a_watch_polled_again_keeps_one_place_and_the_latest_waker() {
    mudu::block_on(async {
        let source = listener();
        let watch = Rc::new(source.registration().release_watch());
        // Polled by one task, then by another: the second task is the one woken.
        let first = mudu::spawn({
            let watch = Rc::clone(&watch);
            async move {
                poll_fn(|cx| {
                    let _ = watch.poll_released(cx);
                    std::task::Poll::Ready(())
                })
                .await
            }
        });
        first.await.unwrap();
        let second = mudu::spawn({
            let watch = Rc::clone(&watch);
            async move { poll_fn(|cx| watch.poll_released(cx)).await }
        });
        yield_now().await;
        assert!(!watch.is_released());
        drop(source);
        assert!(watch.is_released());
        second.await.unwrap();
    });
}
