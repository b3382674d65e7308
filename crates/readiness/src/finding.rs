//! One piece of evidence a collector gathered about one checklist item.

use crate::verdict::Verdict;

/// What a collector saw about one checklist item, for one subject (a file,
/// an endpoint, a component). A review folds every finding of an item into
/// the item's verdict: any failure fails it, else any unknown leaves it
/// unknown, else it passes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The [`crate::Item::id`] this finding is evidence for.
    pub item: String,
    /// The collector that produced it, e.g. `repo.lockfiles` or
    /// `endpoint.https`. Stable: reports and SARIF rule ids use it.
    pub collector: String,
    /// What the finding is about — a path relative to the repository, an
    /// endpoint URL, a component id — when it is about one thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The outcome. Collectors only produce `Pass`, `Fail` and `Unknown`.
    pub verdict: Verdict,
    /// Itemised detail for the report, e.g. every unpinned dependency as
    /// `path:line: name` — one entry per line of the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl Finding {
    /// A finding that the practice is in place.
    pub fn pass(item: &str, collector: &str, evidence: impl Into<String>) -> Finding {
        Finding::new(
            item,
            collector,
            Verdict::Pass {
                evidence: evidence.into(),
            },
        )
    }

    /// A finding that the practice is missing.
    pub fn fail(item: &str, collector: &str, reason: impl Into<String>) -> Finding {
        Finding::new(
            item,
            collector,
            Verdict::Fail {
                reason: reason.into(),
            },
        )
    }

    /// A finding that the collector could not tell, and why.
    pub fn unknown(item: &str, collector: &str, reason: impl Into<String>) -> Finding {
        Finding::new(
            item,
            collector,
            Verdict::Unknown {
                reason: reason.into(),
            },
        )
    }

    fn new(item: &str, collector: &str, verdict: Verdict) -> Finding {
        Finding {
            item: item.to_owned(),
            collector: collector.to_owned(),
            subject: None,
            verdict,
            details: Vec::new(),
        }
    }

    /// Sets what the finding is about.
    pub fn about(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    /// Adds itemised detail lines.
    pub fn with_details(mut self, details: impl IntoIterator<Item = String>) -> Finding {
        self.details.extend(details);
        self
    }
}
