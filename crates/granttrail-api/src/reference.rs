//! The readable API reference (`GET /docs`): RapiDoc and a small page of
//! ours, compiled into the binary and served under names that carry a hash
//! of their content, so a browser may keep them forever and never runs a
//! stale one. Nothing is fetched from anywhere else: the page's
//! Content-Security-Policy allows only this origin. See
//! `assets/reference/README.md`.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, header};
use sha2::{Digest, Sha256};

use crate::ApiState;
use crate::problem::Problem;

/// One file of the page.
struct Asset {
    /// The name it is served under: its stem, a hash of its content and
    /// its extension (`rapidoc-1a2b3c4d5e6f.js`).
    name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

/// `(placeholder in the page, file name, bytes, content type)`.
const FILES: [(&str, &str, &[u8], &str); 3] = [
    (
        "{{rapidoc.js}}",
        "rapidoc.js",
        include_bytes!("../assets/reference/rapidoc-min.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "{{reference.js}}",
        "reference.js",
        include_bytes!("../assets/reference/reference.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "{{reference.css}}",
        "reference.css",
        include_bytes!("../assets/reference/reference.css"),
        "text/css; charset=utf-8",
    ),
];

const PAGE: &str = include_str!("../assets/reference/reference.html");

/// Only this origin; styles may be inline because RapiDoc's components
/// style themselves; no inline or evaluated script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; \
     font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

struct Reference {
    page: String,
    assets: Vec<Asset>,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let mut page = PAGE.to_owned();
        let mut assets = Vec::new();
        for (placeholder, file, bytes, content_type) in FILES {
            let (stem, extension) = file.rsplit_once('.').unwrap_or((file, ""));
            let hash = hex::encode(&Sha256::digest(bytes)[..6]);
            let name = format!("{stem}-{hash}.{extension}");
            page = page.replace(placeholder, &name);
            assets.push(Asset {
                name,
                bytes,
                content_type,
            });
        }
        Reference { page, assets }
    })
}

/// The routes of the reference; no token needed (the document itself
/// still needs one).
pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/assets/{name}", get(asset))
}

/// `body` with `headers`, and the two every file of the page carries.
fn served(body: Response, headers: [(header::HeaderName, &'static str); 3]) -> Response {
    let mut response = body;
    let all = headers.into_iter().chain([
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ]);
    for (name, value) in all {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn page() -> Response {
    served(
        reference().page.clone().into_response(),
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
        ],
    )
}

async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = reference().assets.iter().find(|a| a.name == name) else {
        return Problem::not_found().into_response();
    };
    served(
        asset.bytes.into_response(),
        [
            (header::CONTENT_TYPE, asset.content_type),
            // The name changes with the content: keep it for a year.
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_asset_by_its_content_hash() {
        let reference = reference();
        assert!(!reference.page.contains("{{"), "a placeholder is left");
        for asset in &reference.assets {
            assert!(reference.page.contains(&asset.name), "{}", asset.name);
            let hash = hex::encode(&Sha256::digest(asset.bytes)[..6]);
            assert!(asset.name.contains(&hash));
        }
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let page = &reference().page;
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(!page.contains("<script>"), "no inline script");
    }
}
