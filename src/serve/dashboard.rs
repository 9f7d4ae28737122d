//! The web dashboard at `/`: plain HTML, CSS and JavaScript modules embedded in the binary
//! (`src/serve/dashboard/`, whose README lists each file), served with a strict
//! Content-Security-Policy: no inline code, nothing loaded from anywhere but this server.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const HTML: &str = "text/html; charset=utf-8";
/// Module scripts need a JavaScript MIME type (and `nosniff` makes the browser check it).
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// A file of `src/serve/dashboard/` at `/assets/<file>`, with its content type.
macro_rules! asset {
    ($file:literal, $content_type:expr) => {
        (
            concat!("/assets/", $file),
            $content_type,
            include_bytes!(concat!("dashboard/", $file)) as &[u8],
        )
    };
}

/// Every dashboard file: its URL path, content type and bytes. `main.js` is the page's entry
/// module; it imports the others by relative path, so each is served beside it.
pub const ASSETS: [(&str, &str, &[u8]); 20] = [
    ("/", HTML, include_bytes!("dashboard/index.html")),
    asset!("main.js", JS),
    asset!("api.js", JS),
    asset!("chart.js", JS),
    asset!("detail.js", JS),
    asset!("dom.js", JS),
    asset!("download.js", JS),
    asset!("format.js", JS),
    asset!("histogram.js", JS),
    asset!("model.js", JS),
    asset!("results.js", JS),
    asset!("state.js", JS),
    asset!("table.js", JS),
    asset!("theme.js", JS),
    asset!("threshold.js", JS),
    asset!("upload.js", JS),
    asset!("style.css", CSS),
    asset!("vendor/uPlot.iife.min.js", JS),
    asset!("vendor/uPlot.min.css", CSS),
    asset!("vendor/LICENSE-uPlot", TEXT),
];

/// What the dashboard's pages may load: scripts, styles and API calls from this server only,
/// images from it or `data:` URLs; no frames, forms or base URL.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// The dashboard's routes (`GET /` and `GET /assets/...`), to merge into the server's router.
/// Any other path, under `/assets/` too, falls through to the server's 404.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(path, get(move || async move { asset(content_type, body) }))
        })
}

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Revalidated on each load: a new binary's page is never mixed with an old script.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module a served script imports is served too, at the path the browser asks for.
    #[test]
    fn every_imported_module_is_served() {
        let paths: Vec<&str> = ASSETS.iter().map(|a| a.0).collect();
        for &(path, content_type, body) in &ASSETS {
            if content_type != JS || path.starts_with("/assets/vendor/") {
                continue;
            }
            let text = std::str::from_utf8(body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let from = line.rsplit(" from ").next().unwrap();
                let name = from.trim_end_matches(';').trim_matches('"');
                let name = name.strip_prefix("./").unwrap_or_else(|| {
                    panic!("{path}: import by relative path (\"./x.js\"): {line}")
                });
                let served = format!("/assets/{name}");
                assert!(
                    paths.contains(&served.as_str()),
                    "{path} imports {served}, which ASSETS does not serve"
                );
            }
        }
        let html = std::str::from_utf8(ASSETS[0].2).unwrap();
        assert!(html.contains(r#"<script type="module" src="/assets/main.js">"#));
    }
}
