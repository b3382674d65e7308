//! The answer a review records for one checklist [`Item`].

use jiff::civil::Date;

use crate::checklist::Item;

/// The outcome of checking one [`Item`] for one service. In JSON, an
/// object whose `status` is the [`Verdict::label`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// A collector found the practice in place.
    Pass {
        /// What was observed, for the report.
        evidence: String,
    },
    /// A collector found the practice missing.
    Fail {
        /// What is wrong, for the report.
        reason: String,
    },
    /// Nobody could tell. Never counts as a pass.
    Unknown {
        /// Why it could not be decided.
        reason: String,
    },
    /// A person vouched for the practice.
    Attested {
        /// Who vouched.
        by: String,
        /// The day they vouched. An attestation dated after the day of
        /// the review does not count yet.
        on: Date,
        /// Where the supporting record lives (ticket, runbook, minutes).
        link: Option<String>,
        /// The day the attestation lapses: from this day on it no longer
        /// counts. `None` means it does not lapse.
        expires: Option<Date>,
    },
    /// The item does not apply to this service.
    #[serde(rename = "n/a")]
    NotApplicable {
        /// Why it does not apply.
        reason: String,
    },
}

impl Verdict {
    /// True only for [`Verdict::Pass`]: a collector saw it. Attestations
    /// are judged by [`Verdict::counts_as_pass`], which needs a date.
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass { .. })
    }

    /// True for [`Verdict::Pass`], and for an [`Verdict::Attested`] that
    /// is in force on `today` (given on or before `today`, and `today` is
    /// before its expiry). Everything else — including
    /// [`Verdict::Unknown`] and [`Verdict::NotApplicable`] — is false.
    pub fn counts_as_pass(&self, today: Date) -> bool {
        match self {
            Verdict::Pass { .. } => true,
            Verdict::Attested { on, expires, .. } => {
                *on <= today && expires.is_none_or(|lapses| today < lapses)
            }
            Verdict::Fail { .. } | Verdict::Unknown { .. } | Verdict::NotApplicable { .. } => false,
        }
    }

    /// True for [`Verdict::NotApplicable`].
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, Verdict::NotApplicable { .. })
    }

    /// A short lowercase label: `pass`, `fail`, `unknown`, `attested` or
    /// `n/a`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass { .. } => "pass",
            Verdict::Fail { .. } => "fail",
            Verdict::Unknown { .. } => "unknown",
            Verdict::Attested { .. } => "attested",
            Verdict::NotApplicable { .. } => "n/a",
        }
    }
}

/// Whether `verdict` on `item` stops a launch on `today`: the item is a
/// must-have, the verdict does not count as a pass, and it is not
/// not-applicable. Nice-to-haves never block.
pub fn blocks_launch(item: &Item, verdict: &Verdict, today: Date) -> bool {
    item.must && !verdict.counts_as_pass(today) && !verdict.is_not_applicable()
}
