//! Status page tests: JSON against Statuspage-shaped fixtures, feeds,
//! badges, the rendered page and the static export.

mod badge;
mod export;
mod feed;
mod html;
mod json;
mod support;
