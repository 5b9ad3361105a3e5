//! The embedded web console: files with their content types and cache headers, client-side routes
//! answered with `index.html`, the API's JSON 404 kept for everything else, and the security headers
//! of every console page.

mod common;

use common::TestApp;
use reqwest::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY, X_FRAME_OPTIONS,
};
use reqwest::StatusCode;
use serde_json::Value;

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[tokio::test]
async fn serves_the_console_and_keeps_api_404s() {
    let app = TestApp::start().await;
    let get = |path: &str, accept: &str| app.http.get(format!("{}{path}", app.base)).header(ACCEPT, accept.to_string());

    // The app at `/` and at any client-side route, revalidated on every use.
    let index = get("/", HTML).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(index.headers()[CACHE_CONTROL], "no-cache");
    let etag = index.headers()[ETAG].to_str().unwrap().to_string();
    let html = index.text().await.unwrap();
    assert!(html.contains("<div id=\"root\">"), "{html}");
    let deep = get("/project/default/databases/redis", HTML).send().await.unwrap();
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.text().await.unwrap(), html);
    let plain = get("/", "*/*").send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK, "the root is the console whatever the client accepts");
    let unchanged = get("/", HTML).header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    // Hashed assets, with their content type, cached for a year.
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script tag").to_string();
    assert!(script.starts_with("/assets/"), "{script}");
    let asset = get(&script, "*/*").send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(asset.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(asset.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");

    // The API keeps its envelope, even for a browser; so do other methods and non-HTML clients.
    for (method, path, accept) in [
        ("GET", "/api/nope", HTML),
        ("GET", "/api/platform/nope", HTML),
        ("GET", "/nope", "application/json"),
        ("GET", "/assets/missing.js", "*/*"),
        ("POST", "/project/default", HTML),
    ] {
        let response = app
            .http
            .request(method.parse().unwrap(), format!("{}{path}", app.base))
            .header(ACCEPT, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{method} {path}");
    }
}

#[tokio::test]
async fn console_pages_cannot_be_framed_and_load_only_from_this_origin() {
    let app = TestApp::start().await;
    let get = |path: &str, accept: &str| app.http.get(format!("{}{path}", app.base)).header(ACCEPT, accept.to_string());
    let index = get("/", HTML).send().await.unwrap();
    let html = index.text().await.unwrap();
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script tag").to_string();

    for (path, accept) in [("/", HTML), ("/project/default/databases/redis", HTML), (script.as_str(), "*/*")] {
        let response = get(path, accept).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[REFERRER_POLICY], "no-referrer", "{path}");
        let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.split(';').any(|d| d.trim() == directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-"), "{path}: {csp}");
    }

    // What that policy allows is all the page needs: no inline script or style, nothing from
    // another origin.
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="), "{html}");
    for attribute in ["src=\"", "href=\""] {
        for url in html.split(attribute).skip(1).filter_map(|s| s.split('"').next()) {
            assert!(url.starts_with('/') && !url.starts_with("//"), "{url} is not from this origin");
        }
    }

    // The API reference keeps its own (hash-based) policy, and cannot be framed either.
    let docs = get("/api/docs", HTML).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert_eq!(docs.headers()[X_FRAME_OPTIONS], "DENY");
    assert_eq!(docs.headers()[REFERRER_POLICY], "no-referrer");
    let csp = docs.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.split(';').any(|d| d.trim() == "frame-ancestors 'none'"), "{csp}");
}
