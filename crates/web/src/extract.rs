//! Request-body and URL extractors whose rejections are [`ApiError`]s, so a
//! malformed body answers in the same `{message, code}` shape: 400 naming the
//! field or position, 415 for a wrong content type, 413 for an oversized body.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use crate::error::ApiError;

/// A JSON body (`Content-Type: application/json`).
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Json<T>(pub T);

/// A form body (`application/x-www-form-urlencoded`).
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub(crate) struct Form<T>(pub T);

/// Query-string parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(pub T);

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub T);
