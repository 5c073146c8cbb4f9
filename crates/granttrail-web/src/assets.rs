//! The page's own CSS and JavaScript, compiled into the binary and served
//! under names carrying a hash of their content: a browser may keep them
//! forever and never runs a stale one. Nothing is fetched from elsewhere.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

/// One file.
pub(crate) struct Asset {
    /// The name it is served under: `stem-HASH.ext`.
    pub name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

/// `(file, bytes, content type)`.
const FILES: [(&str, &[u8], &str); 2] = [
    (
        "app.css",
        include_bytes!("../assets/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "live.js",
        include_bytes!("../assets/live.js"),
        "text/javascript; charset=utf-8",
    ),
];

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(file, bytes, content_type)| {
                let (stem, extension) = file.rsplit_once('.').unwrap_or((file, ""));
                let hash = hex::encode(&Sha256::digest(bytes)[..6]);
                Asset {
                    name: format!("{stem}-{hash}.{extension}"),
                    bytes,
                    content_type,
                }
            })
            .collect()
    })
}

/// The served name of `file` (`app.css` → `app-1a2b3c4d5e6f.css`).
pub(crate) fn named(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    assets()
        .iter()
        .find(|a| a.name.starts_with(&format!("{stem}-")))
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

/// `GET /ui/assets/{name}`.
pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = assets().iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // The name changes with the content: keep it for a year.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_named_by_its_content() {
        for (file, bytes, _) in FILES {
            let name = named(file);
            assert!(
                name.contains(&hex::encode(&Sha256::digest(bytes)[..6])),
                "{name}"
            );
        }
    }
}
