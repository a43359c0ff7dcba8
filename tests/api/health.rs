use crate::helpers::{backend_is_postgres, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let reply = app.get("/healthz", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_backend() {
    let app = spawn_app().await;
    let reply = app.get("/readyz", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let expected = if backend_is_postgres() {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(reply.body["database"], expected);
}
