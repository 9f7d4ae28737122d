//! The one error body every route answers with:
//! `{"error": {"code", "message", "request_id"}}`.
//!
//! A handler returns an [`ApiError`]; its response carries the error as an extension and the
//! request-id middleware writes the body, so every error, whichever layer made it, names its
//! request.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Error;

/// An HTTP error: a status, a stable machine-readable code and a message saying what was wrong
/// and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short snake_case code (`bad_json`, `invalid_fs`, `too_large`, ...).
    pub code: &'static str,
    /// What was wrong, and where.
    pub message: String,
    /// Seconds to wait before retrying (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: the request is malformed (JSON syntax, a query parameter).
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: the request is well formed but its content cannot be judged.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 413: the body or signal is over a limit.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 500: a failure of the server itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A library error met while judging a request's input: the input's fault (4xx) unless the
    /// error is the backend's, the detector's or a file system's failure (500). `scratch`, the
    /// temporary folder an upload was written to, is cut from messages.
    pub fn from_library(error: Error, scratch: Option<&std::path::Path>) -> Self {
        let mut message = error.to_string().replace("<reader>", "body");
        if let Some(dir) = scratch {
            message = message.replace(&format!("{}/", dir.display()), "");
            message = message.replace(&dir.display().to_string(), "upload");
        }
        let (status, code) = match &error {
            // A lead a record lacks, or leads of different lengths or rates.
            Error::InvalidArgument { name: "leads", .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_leads")
            }
            Error::InvalidArgument { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            Error::Signal { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_signal"),
            Error::Parse { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "parse_error"),
            Error::Corrupt { .. } | Error::Edf { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file")
            }
            Error::Unsupported { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unsupported"),
            Error::Dataset(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_record"),
            Error::OutsideFolder { .. } | Error::NotRegularFile { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_record")
            }
            Error::Limit { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::NoBeats(_) => (StatusCode::UNPROCESSABLE_ENTITY, "no_beats"),
            // An upload whose header names a signal file that was not sent.
            Error::Io { source, .. }
                if scratch.is_some() && source.kind() == std::io::ErrorKind::NotFound =>
            {
                (StatusCode::UNPROCESSABLE_ENTITY, "missing_file")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, message)
    }
}

/// The JSON error body.
#[derive(Debug, Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Debug, Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    request_id: &'a str,
}

impl ApiError {
    /// The response with its JSON body for request `request_id`.
    pub(crate) fn render(&self, request_id: &str) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                request_id,
            },
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for ApiError {
    /// The status alone, the error kept as an extension for the request-id middleware to render.
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
