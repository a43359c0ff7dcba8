//! `openapi.yaml` and the server agree: every route is documented, every
//! documented route exists, and each documented route answers over HTTP.

use std::collections::BTreeSet;

use reqwest::Method;
use yaml_rust2::{Yaml, YamlLoader};

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn documented(spec: &str) -> BTreeSet<(String, String)> {
    let docs = YamlLoader::load_from_str(spec).expect("openapi.yaml parses");
    let doc = &docs[0];
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let Yaml::Hash(paths) = &doc["paths"] else {
        panic!("no paths")
    };
    let mut set = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path").to_string();
        for m in METHODS {
            if !item[m].is_badvalue() {
                let op = &item[m];
                assert!(
                    !op["responses"].is_badvalue(),
                    "{m} {path} documents no responses"
                );
                set.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    set
}

#[tokio::test]
async fn the_spec_and_the_routes_agree() {
    let app = spawn_app().await;
    let served = app
        .client
        .get(app.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let spec = served.text().await.unwrap();
    let in_spec = documented(&spec);
    let in_app: BTreeSet<(String, String)> = crowdfund::api::route_table().into_iter().collect();

    let undocumented: Vec<_> = in_app.difference(&in_spec).collect();
    let missing: Vec<_> = in_spec.difference(&in_app).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.yaml: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "openapi.yaml routes the app lacks: {missing:?}"
    );

    // And over the wire: every documented route is routed (whatever the
    // answer, it is not "no such route" or "wrong method").
    for (method, path) in &in_spec {
        let concrete = path.replace(['{', '}'], "");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = app.request(method.clone(), &concrete, None, None).await;
        assert_ne!(reply.code(), "route_not_found", "{method} {path}");
        assert_ne!(reply.status, 405, "{method} {path}");
        assert!(
            reply.status.as_u16() < 500,
            "{method} {path}: {}",
            reply.body
        );
    }
}
