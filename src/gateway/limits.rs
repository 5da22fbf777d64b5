//! Per-caller limits (`CALLER_LIMITS`), so a token shipped in a web page is not a blank cheque on
//! the provider account: creates per minute, creates per day, jobs running at once. Reads are
//! never limited.
//!
//! `CALLER_LIMITS` is a list separated by `;`, each entry a token (or `*` for every token
//! without its own entry) and its rules: `* 60/min 1000/day 20/running; tok-demo 5/min 50/day`.

/// One caller's limits; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub per_minute: Option<u32>,
    pub per_day: Option<u32>,
    pub running: Option<u32>,
}

/// The limits of each token, in `tokens`' order; the error names the setting and the rule.
pub fn parse(value: Option<&str>, tokens: &[String]) -> Result<Vec<Limits>, String> {
    let mut default = Limits::default();
    let mut own: Vec<(String, Limits)> = Vec::new();
    for entry in value
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let mut words = entry.split_whitespace();
        let who = words.next().unwrap_or_default();
        let mut limits = Limits::default();
        for rule in words {
            let bad = || format!("CALLER_LIMITS: `{rule}` is not N/min, N/day or N/running");
            let (n, unit) = rule.split_once('/').ok_or_else(bad)?;
            let n = n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(bad)?;
            match unit {
                "min" => limits.per_minute = Some(n),
                "day" => limits.per_day = Some(n),
                "running" => limits.running = Some(n),
                _ => return Err(bad()),
            }
        }
        if who == "*" {
            default = limits;
        } else if tokens.iter().any(|t| t == who) {
            own.push((who.to_string(), limits));
        } else {
            // The value is never repeated: it may be a mistyped secret.
            return Err("CALLER_LIMITS names a token that is not in CLIENT_TOKENS".into());
        }
    }
    Ok(tokens
        .iter()
        .map(|t| {
            own.iter()
                .find(|(o, _)| o == t)
                .map_or(default, |(_, l)| *l)
        })
        .collect())
}

/// What one shard sees of its caller: creates in the last minute and day (with the oldest of
/// each, in ms), and jobs running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub minute: u32,
    pub oldest_in_minute_ms: u64,
    pub day: u32,
    pub oldest_in_day_ms: u64,
    pub running: u32,
}

/// `None` to admit the create, else the seconds to wait and which limit it met. A caller with
/// `shards` shards has each limit divided among them (rounded up), since each shard counts
/// only its own rows.
pub fn refuse(
    limits: &Limits,
    shards: u32,
    usage: &Usage,
    now_ms: u64,
) -> Option<(u64, &'static str)> {
    let share = |n: u32| n.div_ceil(shards.max(1));
    let after = |oldest: u64, window: u64| {
        (oldest + window)
            .saturating_sub(now_ms)
            .div_ceil(1000)
            .max(1)
    };
    if limits.per_minute.is_some_and(|n| usage.minute >= share(n)) {
        return Some((
            after(usage.oldest_in_minute_ms, 60_000),
            "creates per minute",
        ));
    }
    if limits.per_day.is_some_and(|n| usage.day >= share(n)) {
        return Some((after(usage.oldest_in_day_ms, 86_400_000), "creates per day"));
    }
    if limits.running.is_some_and(|n| usage.running >= share(n)) {
        return Some((10, "jobs running at once"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Vec<String> {
        vec!["tok-a".into(), "tok-demo".into()]
    }

    #[test]
    fn a_default_and_a_token_of_its_own() {
        let l = parse(Some("* 60/min; tok-demo 5/min 50/day 2/running"), &tokens()).unwrap();
        assert_eq!(
            l[0],
            Limits {
                per_minute: Some(60),
                ..Limits::default()
            }
        );
        assert_eq!(
            l[1],
            Limits {
                per_minute: Some(5),
                per_day: Some(50),
                running: Some(2)
            }
        );
        assert_eq!(parse(None, &tokens()).unwrap(), vec![Limits::default(); 2]);
    }

    #[test]
    fn bad_rules_and_unknown_tokens_are_refused_without_repeating_them() {
        for bad in ["* 5/hour", "* x/min", "* 0/min", "* 5"] {
            assert!(
                parse(Some(bad), &tokens())
                    .unwrap_err()
                    .contains("CALLER_LIMITS"),
                "{bad}"
            );
        }
        let e = parse(Some("tok-secret-typo 1/min"), &tokens()).unwrap_err();
        assert!(!e.contains("tok-secret-typo"));
    }

    #[test]
    fn each_limit_refuses_with_the_wait_until_its_window_frees_a_slot() {
        let l = Limits {
            per_minute: Some(2),
            per_day: Some(3),
            running: Some(4),
        };
        let now = 100_000_000;
        let usage = |minute, day, running| Usage {
            minute,
            oldest_in_minute_ms: now - 45_000,
            day,
            oldest_in_day_ms: now - 86_000_000,
            running,
        };
        assert_eq!(refuse(&l, 1, &usage(1, 1, 1), now), None);
        assert_eq!(
            refuse(&l, 1, &usage(2, 2, 0), now),
            Some((15, "creates per minute"))
        );
        assert_eq!(
            refuse(&l, 1, &usage(0, 3, 0), now),
            Some((400, "creates per day"))
        );
        assert_eq!(
            refuse(&l, 1, &usage(0, 0, 4), now),
            Some((10, "jobs running at once"))
        );
        // Two shards: each takes half (rounded up).
        assert_eq!(
            refuse(&l, 2, &usage(1, 0, 0), now),
            Some((15, "creates per minute"))
        );
    }
}
