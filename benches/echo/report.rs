//! Tables: [`Table`] prints rows as aligned Markdown, so the output can go
//! into docs/benchmarks.md unchanged; [`Rounds`] holds one measurement's
//! samples per server and round and turns them into medians and ratios.
//!
//! Rules: a ratio is mudu over another server, taken within each round
//! (the two ran back to back, under the same drift) and then the median of
//! those per-round ratios; a server or value that was not measured prints
//! as `-`.

use crate::server_kind::ServerKind;
use crate::stats::median;

/// A Markdown table built row by row.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(row.len(), self.header.len(), "one cell per column");
        self.rows.push(row);
    }

    /// Prints the table, columns padded to their widest cell.
    pub fn print(&self) {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, &w)| format!("{c:>w$}"))
                .collect();
            println!("| {} |", padded.join(" | "));
        };
        println!();
        line(&self.header);
        let rule: Vec<String> = widths
            .iter()
            .map(|&w| format!("{}:", "-".repeat(w + 1)))
            .collect();
        println!("|{}|", rule.join("|"));
        for row in &self.rows {
            line(row);
        }
        println!();
    }
}

/// A number with `digits` decimals, or `-` for NaN.
pub fn num(value: f64, digits: usize) -> String {
    if value.is_nan() {
        "-".into()
    } else {
        format!("{value:.digits$}")
    }
}

/// A count with thousands separators, or `-` for NaN.
pub fn count(value: f64) -> String {
    if value.is_nan() {
        return "-".into();
    }
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Samples of one measurement: for each server, one value vector per round.
pub struct Rounds {
    servers: Vec<ServerKind>,
    /// `samples[s][r]`: server `servers[s]`, round `r`, one value per metric.
    samples: Vec<Vec<Vec<f64>>>,
}

impl Rounds {
    /// Empty, for these servers.
    pub fn new(servers: &[ServerKind]) -> Rounds {
        Rounds {
            servers: servers.to_vec(),
            samples: vec![Vec::new(); servers.len()],
        }
    }

    /// Records one round of `kind`.
    pub fn push(&mut self, kind: ServerKind, values: Vec<f64>) {
        let s = self.index(kind).expect("a server of this measurement");
        self.samples[s].push(values);
    }

    fn index(&self, kind: ServerKind) -> Option<usize> {
        self.servers.iter().position(|&k| k == kind)
    }

    /// The servers measured, in table order.
    pub fn servers(&self) -> &[ServerKind] {
        &self.servers
    }

    /// Median over rounds of `metric` for `kind`.
    pub fn median(&self, kind: ServerKind, metric: usize) -> f64 {
        match self.index(kind) {
            Some(s) => median(
                &self.samples[s]
                    .iter()
                    .map(|v| v[metric])
                    .collect::<Vec<_>>(),
            ),
            None => f64::NAN,
        }
    }

    /// Median over rounds of `a`'s `metric` divided by `b`'s, round by round.
    pub fn ratio(&self, a: ServerKind, b: ServerKind, metric: usize) -> f64 {
        let (Some(ia), Some(ib)) = (self.index(a), self.index(b)) else {
            return f64::NAN;
        };
        let ratios: Vec<f64> = self.samples[ia]
            .iter()
            .zip(&self.samples[ib])
            .map(|(x, y)| x[metric] / y[metric])
            .collect();
        median(&ratios)
    }
}

/// The order servers take in round `round`: rotated, so none always goes
/// first (right after the previous measurement) or last.
pub fn round_order<T: Copy>(servers: &[T], round: usize) -> Vec<T> {
    let mut order = servers.to_vec();
    if !order.is_empty() {
        let shift = round % order.len();
        order.rotate_left(shift);
    }
    order
}
