//! Tests of the wheel: targeted cases, then a random model test against a `BTreeMap`.

use super::*;
use std::collections::BTreeMap;

fn advance<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
    let mut fired = Vec::new();
    wheel.advance(now, &mut fired);
    fired
}

/// Walks every list and checks links, list ids, bitmaps and the count against the slab.
fn check_invariants<T>(wheel: &Wheel<T>) {
    let mut seen = 0;
    let mut walk = |list: &List, id: u16| {
        let mut prev = NIL;
        let mut index = list.head;
        while index != NIL {
            let entry = wheel.slab.entry(index);
            assert!(entry.value.is_some(), "a free entry is linked");
            assert_eq!(entry.list, id);
            assert_eq!(entry.prev, prev);
            prev = index;
            index = entry.next;
            seen += 1;
        }
        assert_eq!(list.tail, prev);
    };
    for (level, ring) in wheel.levels.iter().enumerate() {
        for (slot, list) in ring.slots.iter().enumerate() {
            assert_eq!(ring.occupied & (1 << slot) != 0, !list.is_empty());
            walk(list, list_id(level, slot));
            let mut index = list.head;
            while index != NIL {
                let deadline = wheel.slab.entry(index).deadline.max(wheel.elapsed);
                assert_eq!(level_for(wheel.elapsed, deadline), Some(level));
                assert_eq!(slot_for(deadline, level), slot);
                index = wheel.slab.next_of(index);
            }
        }
    }
    walk(&wheel.overflow, OVERFLOW);
    assert_eq!(seen, wheel.len());
    let mut index = wheel.overflow.head;
    if index == NIL {
        assert_eq!(wheel.overflow_min, u64::MAX);
    }
    while index != NIL {
        assert!(wheel.overflow_min <= wheel.slab.entry(index).deadline);
        index = wheel.slab.next_of(index);
    }
    wheel.slab.check_free_list();
}

#[test]
fn fires_in_deadline_order_with_ties_in_insertion_order() {
    let mut wheel = Wheel::new();
    for (deadline, name) in [
        (70, "d"),
        (3, "a"),
        (70, "e"),
        (5000, "f"),
        (3, "b"),
        (64, "c"),
    ] {
        wheel.insert(deadline, name);
    }
    assert_eq!(advance(&mut wheel, 2), Vec::<&str>::new());
    assert_eq!(advance(&mut wheel, 69), ["a", "b", "c"]);
    assert_eq!(advance(&mut wheel, 10_000), ["d", "e", "f"]);
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn never_fires_early() {
    let mut wheel = Wheel::new();
    wheel.insert(1_000_000, ());
    for now in (0..1_000_000).step_by(997) {
        assert!(advance(&mut wheel, now).is_empty(), "fired at {now}");
    }
    assert!(advance(&mut wheel, 999_999).is_empty());
    assert_eq!(advance(&mut wheel, 1_000_000).len(), 1);
}

#[test]
fn past_deadlines_fire_on_the_next_advance_in_deadline_order() {
    let mut wheel = Wheel::new();
    advance(&mut wheel, 1000);
    wheel.insert(1000, "now");
    wheel.insert(500, "past");
    wheel.insert(0, "long past");
    wheel.insert(1001, "next");
    assert_eq!(wheel.next_expiration(), Some(1000));
    // A `now` behind the wheel still fires what is due.
    assert_eq!(advance(&mut wheel, 10), ["long past", "past", "now"]);
    assert_eq!(wheel.elapsed(), 1000);
    assert_eq!(advance(&mut wheel, 1001), ["next"]);
}

#[test]
fn next_expiration_reaches_the_deadline_through_cascades() {
    let mut wheel = Wheel::new();
    let deadline = 3 * SPAN / 2 + 123_456_789;
    wheel.insert(deadline, ());
    let mut steps = 0;
    loop {
        let tick = wheel.next_expiration().unwrap();
        assert!(tick <= deadline);
        steps += 1;
        if !advance(&mut wheel, tick).is_empty() {
            assert_eq!(tick, deadline);
            break;
        }
    }
    assert!(steps <= LEVELS + 2, "took {steps} steps");
}

#[test]
fn far_deadlines_are_parked_and_come_back() {
    let mut wheel = Wheel::new();
    let year_ms = 365 * 24 * 3600 * 1000;
    wheel.insert(u64::MAX, "end of time");
    wheel.insert(40 * year_ms, "forty years");
    wheel.insert(SPAN, "one span");
    wheel.insert(SPAN - 1, "just inside");
    check_invariants(&wheel);
    assert_eq!(advance(&mut wheel, SPAN - 1), ["just inside"]);
    assert_eq!(advance(&mut wheel, SPAN), ["one span"]);
    check_invariants(&wheel);
    // One huge jump passes many empty spans at once.
    assert!(advance(&mut wheel, 40 * year_ms - 1).is_empty());
    check_invariants(&wheel);
    assert_eq!(advance(&mut wheel, u64::MAX - 1), ["forty years"]);
    assert_eq!(advance(&mut wheel, u64::MAX), ["end of time"]);
    assert!(wheel.is_empty());
}

#[test]
fn stale_keys_never_cancel_another_timer() {
    let mut wheel = Wheel::new();
    let fired_key = wheel.insert(1, 'a');
    assert_eq!(advance(&mut wheel, 1), ['a']);
    let cancelled_key = wheel.insert(9, 'b');
    assert_eq!(wheel.cancel(cancelled_key), Some('b'));
    let live = wheel.insert(9, 'c');
    assert_eq!(live.index, fired_key.index, "the slot is reused");
    for stale in [fired_key, cancelled_key] {
        assert_eq!(wheel.cancel(stale), None);
        assert_eq!(wheel.get_mut(stale), None);
        assert_eq!(wheel.deadline(stale), None);
        assert!(!wheel.reset(stale, 100));
    }
    assert_eq!(wheel.get(live), Some(&'c'));
    assert_eq!(wheel.len(), 1);
}

#[test]
fn keys_from_another_wheel_are_rejected() {
    let mut one = Wheel::new();
    let mut two = Wheel::new();
    let key = one.insert(5, 1);
    two.insert(5, 2);
    // Generations start at a different number in each wheel.
    assert_eq!(two.cancel(key), None);
    assert_eq!(two.len(), 1);
}

#[test]
fn reset_moves_a_timer_and_keeps_its_key() {
    let mut wheel = Wheel::new();
    let key = wheel.insert(100, "x");
    wheel.insert(50, "y");
    assert!(wheel.reset(key, 10));
    assert_eq!(wheel.deadline(key), Some(10));
    assert_eq!(advance(&mut wheel, 60), ["x", "y"]);
    let key = wheel.insert(70, "z");
    assert!(wheel.reset(key, 1 << 40));
    check_invariants(&wheel);
    assert!(advance(&mut wheel, (1 << 40) - 1).is_empty());
    assert_eq!(advance(&mut wheel, 1 << 40), ["z"]);
}

#[test]
fn many_timers_on_one_tick() {
    let mut wheel = Wheel::new();
    for i in 0..10_000 {
        wheel.insert(123_456, i);
    }
    let fired = advance(&mut wheel, 200_000);
    assert_eq!(fired, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn a_warm_wheel_does_not_grow() {
    let mut wheel = Wheel::new();
    let keys: Vec<_> = (0..1000).map(|i| wheel.insert(i * 7, i)).collect();
    for key in keys {
        wheel.cancel(key);
    }
    let capacity = wheel.slab.capacity();
    for round in 0..10 {
        let keys: Vec<_> = (0..1000)
            .map(|i| wheel.insert(round * 50_000 + i, i))
            .collect();
        advance(&mut wheel, round * 50_000 + 500);
        for key in keys {
            wheel.cancel(key);
        }
        assert_eq!(wheel.slab.capacity(), capacity);
    }
}

/// splitmix64: a small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A distance in ticks (ms): mostly short, sometimes hours, days, years, or anything.
    fn distance(&mut self) -> u64 {
        const YEAR: u64 = 365 * 24 * 3600 * 1000;
        match self.below(10) {
            0..=3 => self.below(64),
            4..=5 => self.below(5000),
            6 => self.below(3600 * 1000),
            7 => self.below(30 * 24 * 3600 * 1000),
            8 => self.below(5 * YEAR),
            _ => self.below(u64::MAX / 4),
        }
    }
}

/// Runs random insert, cancel, reset and advance against a `BTreeMap` keyed by (deadline, order).
fn model_run(seed: u64, ops: usize) {
    let mut rng = Rng(seed);
    let mut wheel = Wheel::new();
    let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    // value -> (its key, its entry in the model)
    let mut keys: BTreeMap<u64, (TimerKey, (u64, u64))> = BTreeMap::new();
    let mut dead: Vec<TimerKey> = Vec::new();
    let mut order = 0u64;
    let mut fired = Vec::new();
    for _ in 0..ops {
        let now = wheel.elapsed();
        match rng.below(100) {
            0..=44 => {
                let deadline = if rng.below(10) == 0 {
                    now.saturating_sub(rng.below(100))
                } else {
                    now.saturating_add(rng.distance())
                };
                order += 1;
                let key = wheel.insert(deadline, order);
                model.insert((deadline, order), order);
                keys.insert(order, (key, (deadline, order)));
            }
            45..=59 if !keys.is_empty() => {
                let id = *keys
                    .keys()
                    .nth(rng.below(keys.len() as u64) as usize)
                    .unwrap();
                let (key, at) = keys.remove(&id).unwrap();
                assert_eq!(wheel.cancel(key), Some(id));
                model.remove(&at).unwrap();
                dead.push(key);
            }
            60..=64 if !keys.is_empty() => {
                let id = *keys
                    .keys()
                    .nth(rng.below(keys.len() as u64) as usize)
                    .unwrap();
                let (key, old) = keys[&id];
                let deadline = now.saturating_add(rng.distance());
                assert!(wheel.reset(key, deadline));
                let value = model.remove(&old).unwrap();
                // A reset timer orders after others on its tick, as if inserted now.
                order += 1;
                model.insert((deadline, order), value);
                keys.insert(id, (key, (deadline, order)));
            }
            65..=69 if !dead.is_empty() => {
                let key = dead[rng.below(dead.len() as u64) as usize];
                assert_eq!(wheel.cancel(key), None);
                assert_eq!(wheel.get(key), None);
            }
            _ => {
                let now = match rng.below(4) {
                    0 => wheel.next_expiration().unwrap_or(now),
                    1 => now.saturating_add(rng.below(3)),
                    _ => now.saturating_add(rng.distance()),
                };
                fired.clear();
                wheel.advance(now, &mut fired);
                let due: Vec<(u64, u64)> =
                    model.range(..=(now, u64::MAX)).map(|(k, _)| *k).collect();
                let expected: Vec<u64> = due.iter().map(|k| model.remove(k).unwrap()).collect();
                assert_eq!(fired, expected, "seed {seed}: advance to {now}");
                for id in &fired {
                    dead.push(keys.remove(id).unwrap().0);
                }
            }
        }
        assert_eq!(wheel.len(), model.len());
        if let Some((&(earliest, _), _)) = model.iter().next() {
            let next = wheel
                .next_expiration()
                .expect("pending timers but no expiration");
            assert!(
                next <= earliest.max(wheel.elapsed()),
                "seed {seed}: {next} after {earliest}"
            );
        } else {
            assert_eq!(wheel.next_expiration(), None);
        }
        if rng.below(8) == 0 {
            check_invariants(&wheel);
        }
        if dead.len() > 1000 {
            dead.drain(..500);
        }
    }
    check_invariants(&wheel);
}

#[test]
fn model_short_runs() {
    for seed in 0..500 {
        model_run(seed, 300);
    }
}

#[test]
fn model_long_runs() {
    for seed in 1000..1008 {
        model_run(seed, 50_000);
    }
}
