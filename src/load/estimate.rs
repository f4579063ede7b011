//! How long Entra's own initial cycle would take for the same objects, by Microsoft's published
//! estimate (reference §5): 0.01–0.08 minutes per assigned user, group and membership. Entra's
//! pace, not the endpoint's, sets that time: the measured run shows whether the endpoint keeps up.

use serde::Serialize;

/// Microsoft's published estimate, minutes per object, lower and upper end.
pub const MINUTES_PER_OBJECT: (f64, f64) = (0.01, 0.08);

pub const SOURCE: &str = "Microsoft's published estimate for an initial cycle: 0.01-0.08 min per assigned user, group and membership; create-heavy cycles like this one take about twice as long as match-heavy ones";

#[derive(Debug, Clone, Serialize)]
pub struct EntraEstimate {
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub objects: u64,
    pub low_minutes: f64,
    pub high_minutes: f64,
    pub source: &'static str,
}

impl EntraEstimate {
    pub fn for_objects(users: u64, groups: u64, memberships: u64) -> Self {
        let objects = users + groups + memberships;
        EntraEstimate {
            users,
            groups,
            memberships,
            objects,
            low_minutes: objects as f64 * MINUTES_PER_OBJECT.0,
            high_minutes: objects as f64 * MINUTES_PER_OBJECT.1,
            source: SOURCE,
        }
    }
}

/// `42 s`, `3.4 min`, `2.5 h`: what a person planning a go-live reads at a glance.
pub fn human_minutes(minutes: f64) -> String {
    if minutes < 1.0 {
        format!("{:.0} s", minutes * 60.0)
    } else if minutes < 120.0 {
        format!("{minutes:.1} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 60.0 / 24.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_group_and_membership_counts() {
        let estimate = EntraEstimate::for_objects(1000, 10, 500);
        assert_eq!(estimate.objects, 1510);
        assert!((estimate.low_minutes - 15.1).abs() < 1e-9);
        assert!((estimate.high_minutes - 120.8).abs() < 1e-9);
    }

    #[test]
    fn minutes_read_at_a_glance() {
        assert_eq!(human_minutes(0.2), "12 s");
        assert_eq!(human_minutes(3.44), "3.4 min");
        assert_eq!(human_minutes(150.0), "2.5 h");
        assert_eq!(human_minutes(8000.0), "5.6 days");
    }
}
