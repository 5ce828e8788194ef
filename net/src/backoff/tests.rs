//! `Backoff`: exact sequences, limits, deadline, reset and jitter bounds.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn default_is_muduos_schedule() {
    let delays: Vec<_> = Backoff::default().take(10).collect();
    let want = [
        ms(500),
        secs(1),
        secs(2),
        secs(4),
        secs(8),
        secs(16),
        secs(30),
        secs(30),
        secs(30),
        secs(30),
    ];
    assert_eq!(delays, want);
}

#[test]
fn default_attempt_start_times() {
    // Attempts start at +0, +0.5, +1.5, +3.5, +7.5, +15.5, +31.5, +61.5 s.
    let mut b = Backoff::new();
    let mut starts = vec![Duration::ZERO];
    for _ in 0..7 {
        b.next_delay().unwrap();
        starts.push(b.total_delay());
    }
    let want: Vec<_> = [0, 500, 1500, 3500, 7500, 15500, 31500, 61500]
        .map(ms)
        .to_vec();
    assert_eq!(starts, want);
    assert_eq!(b.attempt(), 8);
}

#[test]
fn custom_growth_and_cap() {
    let b = Backoff::default()
        .initial_delay(ms(100))
        .multiplier(1.5)
        .max_delay(secs(1));
    let delays: Vec<_> = b.take(8).map(|d| d.as_nanos()).collect();
    let want = [
        100_000_000,
        150_000_000,
        225_000_000,
        337_500_000,
        506_250_000,
        759_375_000,
        1_000_000_000,
        1_000_000_000,
    ];
    assert_eq!(delays, want);
}

#[test]
fn constant_schedule_and_initial_above_max() {
    let b = Backoff::default().initial_delay(secs(2)).multiplier(1.0);
    assert_eq!(b.take(3).collect::<Vec<_>>(), [secs(2); 3]);
    let b = Backoff::default()
        .initial_delay(secs(60))
        .max_delay(secs(5));
    assert_eq!(b.take(2).collect::<Vec<_>>(), [secs(5); 2]);
}

#[test]
fn huge_delays_saturate_instead_of_overflowing() {
    let b = Backoff::default()
        .initial_delay(secs(1))
        .max_delay(Duration::MAX)
        .multiplier(1000.0);
    let last = b.take(20).last().unwrap();
    assert_eq!(last, Duration::MAX);
    let b = Backoff::default()
        .initial_delay(secs(1))
        .max_delay(Duration::MAX)
        .multiplier(1e300);
    assert_eq!(b.take(3).last().unwrap(), Duration::MAX);
    let mut b = Backoff::default()
        .initial_delay(Duration::MAX)
        .max_delay(Duration::MAX);
    b.next_delay().unwrap();
    b.next_delay().unwrap();
    assert_eq!(b.total_delay(), Duration::MAX);
}

#[test]
fn max_attempts_counts_the_first_attempt() {
    let mut b = Backoff::default().max_attempts(4);
    assert_eq!(b.attempt(), 1);
    assert_eq!(b.next_delay(), Some(ms(500)));
    assert_eq!(b.next_delay(), Some(secs(1)));
    assert_eq!(b.next_delay(), Some(secs(2)));
    assert_eq!(b.attempt(), 4);
    assert_eq!(b.next_delay(), None);
    assert_eq!(b.next_delay(), None);
    assert_eq!(b.attempt(), 4);

    let mut one = Backoff::default().max_attempts(1);
    assert_eq!(one.next_delay(), None);
}

#[test]
#[should_panic(expected = "max_attempts must be at least 1")]
fn zero_attempts_panics() {
    let _ = Backoff::default().max_attempts(0);
}

#[test]
#[should_panic(expected = "backoff multiplier")]
fn shrinking_multiplier_panics() {
    let _ = Backoff::default().multiplier(0.5);
}

#[test]
#[should_panic(expected = "backoff multiplier")]
fn nan_multiplier_panics() {
    let _ = Backoff::default().multiplier(f64::NAN);
}

#[test]
fn deadline_stops_before_an_attempt_past_it() {
    // Starts at 0, 0.5, 1.5, 3.5, 7.5; the next would be 15.5 > 10.
    let b = Backoff::default().deadline(secs(10));
    assert_eq!(b.collect::<Vec<_>>(), [ms(500), secs(1), secs(2), secs(4)]);
    // An attempt starting exactly at the deadline is allowed.
    let b = Backoff::default().deadline(ms(7500));
    assert_eq!(b.count(), 4);
    let b = Backoff::default().deadline(ms(7499));
    assert_eq!(b.count(), 3);
}

#[test]
fn deadline_counts_the_time_attempts_took() {
    let mut b = Backoff::default().deadline(secs(10));
    assert_eq!(b.next_delay_at(secs(3)), Some(ms(500)));
    // The second attempt failed at 9.1 s: 9.1 + 1 > 10, stop, nothing changes.
    assert_eq!(b.next_delay_at(ms(9100)), None);
    assert_eq!(b.attempt(), 2);
    assert_eq!(b.next_delay_at(secs(9)), Some(secs(1)));
    assert_eq!(b.attempt(), 3);
}

#[test]
fn limits_combine() {
    let b = Backoff::default().deadline(secs(100)).max_attempts(3);
    assert_eq!(b.count(), 2);
    let b = Backoff::default().deadline(secs(2)).max_attempts(10);
    assert_eq!(b.count(), 2);
}

#[test]
fn reset_starts_over() {
    let mut b = Backoff::default().max_attempts(3);
    assert_eq!(b.by_ref().count(), 2);
    b.reset();
    assert_eq!(b.attempt(), 1);
    assert_eq!(b.total_delay(), Duration::ZERO);
    assert_eq!(b.next_delay(), Some(ms(500)));
}

fn jittered(jitter: Jitter, seed: u64, n: usize) -> Vec<Duration> {
    Backoff::default()
        .jitter(jitter)
        .seed(seed)
        .take(n)
        .collect()
}

#[test]
fn jitter_is_deterministic_with_a_seed() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        assert_eq!(jittered(jitter, 42, 50), jittered(jitter, 42, 50));
        assert_ne!(jittered(jitter, 42, 50), jittered(jitter, 43, 50));
    }
    assert_eq!(jittered(Jitter::None, 1, 5), jittered(Jitter::None, 2, 5));
}

#[test]
fn full_and_equal_jitter_stay_in_their_ranges() {
    let bases: Vec<_> = Backoff::default().take(12).collect();
    for seed in 0..200 {
        let full = jittered(Jitter::Full, seed, 12);
        let equal = jittered(Jitter::Equal, seed, 12);
        for ((f, e), base) in full.iter().zip(&equal).zip(&bases) {
            assert!(*f <= *base);
            assert!(*e >= *base / 2 && *e <= *base);
        }
    }
    // Jitter does move delays.
    let full = jittered(Jitter::Full, 9, 12);
    assert!(full.iter().zip(&bases).any(|(f, b)| f != b));
}

#[test]
fn decorrelated_jitter_grows_from_the_last_delay() {
    for seed in 0..200 {
        let mut prev = ms(500);
        for d in jittered(Jitter::Decorrelated, seed, 15) {
            let high = (prev * 3).min(secs(30));
            assert!(d >= ms(500) && d <= high, "{d:?} outside [0.5 s, {high:?}]");
            prev = d;
        }
    }
}

#[test]
fn a_refused_delay_does_not_consume_randomness() {
    let mut a = Backoff::default()
        .jitter(Jitter::Full)
        .seed(5)
        .deadline(secs(1));
    let mut b = a.clone();
    assert_eq!(a.next_delay_at(secs(1) + ms(600)), None);
    assert_eq!(
        a.next_delay_at(Duration::ZERO),
        b.next_delay_at(Duration::ZERO)
    );
}

#[test]
fn unseeded_jitter_still_in_range() {
    let mut b = Backoff::default().jitter(Jitter::Full);
    assert!(b.next_delay().unwrap() <= ms(500));
}
