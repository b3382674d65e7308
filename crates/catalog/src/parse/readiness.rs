//! `[readiness]` and `[service.readiness]`: the review's schedule, the
//! team's own checklist items, and the items a service marks not applicable.

use std::time::Duration;

use toml::de::DeValue;

use crate::convert::{boolean, duration_at_least, text};
use crate::model::{CustomItem, NotApplicable, READINESS_PRACTICES, Readiness, ServiceReadiness};
use crate::reader::{Ctx, Field, Table};
use crate::validate::{Ns, Scope};

use super::{refer, tables};

/// The top-level `[readiness]` table.
pub(super) fn readiness(ctx: &mut Ctx, t: &mut Table) -> Option<Readiness> {
    let every = t.opt(ctx, "every", |c, f| {
        duration_at_least(c, f, Duration::from_secs(60))
    });
    let items = tables(ctx, t, "item", custom_item);
    Some(Readiness {
        every: every.unwrap_or(Duration::from_secs(3600)),
        items,
    })
}

fn custom_item(ctx: &mut Ctx, t: &mut Table) -> Option<CustomItem> {
    let location = ctx.location(&t.span());
    let id = t.req(ctx, "id", item_id);
    let title = t.req(ctx, "title", text);
    let rationale = t.opt(ctx, "rationale", text);
    let must = t.opt(ctx, "must", boolean);
    let fix = t.opt(ctx, "fix", text);
    let command = t.opt(ctx, "command", text);
    let services = t.list(ctx, "services", |c, f| {
        refer(c, f, Ns::Service, Scope::Global)
    });
    Some(CustomItem {
        id: id?,
        title: title?,
        rationale: rationale.unwrap_or_default(),
        must: must.unwrap_or(false),
        fix: fix.unwrap_or_default(),
        command,
        services,
        location,
    })
}

/// A service's `[service.readiness]` table.
pub(super) fn service_readiness(ctx: &mut Ctx, t: &mut Table) -> Option<ServiceReadiness> {
    let not_applicable = t
        .opt(ctx, "not_applicable", not_applicable)
        .unwrap_or_default();
    let exclude = t.list(ctx, "exclude", text);
    Some(ServiceReadiness {
        not_applicable,
        exclude,
    })
}

/// `not_applicable = { "ITEM" = "why", … }`.
fn not_applicable(ctx: &mut Ctx, field: Field) -> Option<Vec<NotApplicable>> {
    let DeValue::Table(entries) = field.value.get_ref() else {
        return field.type_error(ctx, "a table of `\"ITEM\" = \"why it does not apply\"`");
    };
    let mut out = Vec::new();
    for (key, value) in entries.iter() {
        let entry = Field {
            key: key.get_ref(),
            value,
        };
        let location = ctx.location(&key.span());
        let item = check_item_id(ctx, key.get_ref(), &key.span());
        // `text` refuses an empty reason: the report must say why.
        let reason = text(ctx, entry);
        if let (Some(item), Some(reason)) = (item, reason) {
            out.push(NotApplicable {
                item,
                reason,
                location,
            });
        }
    }
    Some(out)
}

/// An item id being defined by a `[[readiness.item]]`.
fn item_id(ctx: &mut Ctx, field: Field) -> Option<String> {
    let value = field.str(ctx)?;
    check_item_id(ctx, value, &field.span())
}

/// `practice.slug` with a known practice and a lowercase slug.
fn check_item_id(ctx: &mut Ctx, value: &str, span: &std::ops::Range<usize>) -> Option<String> {
    let Some((practice, slug)) = value.split_once('.') else {
        ctx.error(
            span,
            format!("invalid readiness item id `{value}`"),
            Some("write `PRACTICE.SLUG`, e.g. `security.pen-test`".into()),
        );
        return None;
    };
    if !READINESS_PRACTICES.contains(&practice) {
        ctx.error(
            span,
            format!("unknown practice `{practice}` in readiness item id `{value}`"),
            Some(format!("use one of {}", READINESS_PRACTICES.join(", "))),
        );
        return None;
    }
    let slug_ok = !slug.is_empty()
        && !slug.starts_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        ctx.error(
            span,
            format!("invalid readiness item id `{value}`"),
            Some("after the practice, use lowercase letters, digits and `-`".into()),
        );
        return None;
    }
    Some(value.to_owned())
}
