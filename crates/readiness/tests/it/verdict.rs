use jiff::civil::{Date, date};
use shipshape_readiness::{Verdict, blocks_launch, item};

const TODAY: Date = date(2026, 11, 29);

fn attested(on: Date, expires: Option<Date>) -> Verdict {
    Verdict::Attested {
        by: "ana@example.org".into(),
        on,
        link: Some("https://tickets.example.org/42".into()),
        expires,
    }
}

fn unknown() -> Verdict {
    Verdict::Unknown {
        reason: "collector timed out".into(),
    }
}

fn na() -> Verdict {
    Verdict::NotApplicable {
        reason: "no database".into(),
    }
}

#[test]
fn labels() {
    let cases = [
        (
            Verdict::Pass {
                evidence: "x".into(),
            },
            "pass",
        ),
        (Verdict::Fail { reason: "x".into() }, "fail"),
        (unknown(), "unknown"),
        (attested(TODAY, None), "attested"),
        (na(), "n/a"),
    ];
    for (v, label) in cases {
        assert_eq!(v.label(), label);
    }
}

#[test]
fn only_pass_is_a_plain_pass() {
    assert!(
        Verdict::Pass {
            evidence: "x".into()
        }
        .is_pass()
    );
    assert!(!attested(TODAY, None).is_pass());
    assert!(!unknown().is_pass());
    assert!(!na().is_pass());
    assert!(!Verdict::Fail { reason: "x".into() }.is_pass());
}

#[test]
fn unknown_never_passes() {
    for day in [date(2000, 1, 1), TODAY, date(2100, 1, 1)] {
        assert!(!unknown().counts_as_pass(day));
    }
}

#[test]
fn attestation_counts_until_it_expires() {
    let v = attested(date(2026, 6, 1), Some(date(2026, 12, 1)));
    assert!(v.counts_as_pass(TODAY));
    assert!(v.counts_as_pass(date(2026, 11, 30)));
    assert!(
        !v.counts_as_pass(date(2026, 12, 1)),
        "lapses on its expiry day"
    );
    assert!(!v.counts_as_pass(date(2027, 1, 1)));
    assert!(attested(date(2020, 1, 1), None).counts_as_pass(TODAY));
}

#[test]
fn expired_attestation_does_not_pass() {
    let v = attested(date(2025, 1, 1), Some(date(2026, 1, 1)));
    assert!(!v.counts_as_pass(TODAY));
}

#[test]
fn attestation_from_the_future_does_not_count_yet() {
    assert!(!attested(date(2026, 12, 25), None).counts_as_pass(TODAY));
}

#[test]
fn fail_and_na_do_not_count_as_pass() {
    assert!(!Verdict::Fail { reason: "x".into() }.counts_as_pass(TODAY));
    assert!(!na().counts_as_pass(TODAY));
}

#[test]
fn launch_blockers() {
    let must = item("scalability.two-instances-minimum").unwrap();
    let nice = item("access-control.cohorts").unwrap();
    assert!(must.must && !nice.must);

    assert!(blocks_launch(
        must,
        &Verdict::Fail {
            reason: "one".into()
        },
        TODAY
    ));
    assert!(blocks_launch(must, &unknown(), TODAY));
    assert!(blocks_launch(
        must,
        &attested(date(2025, 1, 1), Some(date(2026, 1, 1))),
        TODAY
    ));
    assert!(!blocks_launch(
        must,
        &Verdict::Pass {
            evidence: "3 up".into()
        },
        TODAY
    ));
    assert!(!blocks_launch(
        must,
        &attested(date(2026, 11, 1), None),
        TODAY
    ));

    // Nice-to-haves never block, whatever the verdict.
    assert!(!blocks_launch(
        nice,
        &Verdict::Fail { reason: "x".into() },
        TODAY
    ));
    assert!(!blocks_launch(nice, &unknown(), TODAY));
}

#[test]
fn not_applicable_never_blocks() {
    for i in shipshape_readiness::CHECKLIST {
        assert!(!blocks_launch(i, &na(), TODAY), "{}", i.id);
    }
}
