//! Names and free text: nothing visible is nothing, and what is kept is NFC.

use serde_json::json;

use crate::helpers::{spawn_app, unique_email, PASSWORD};

const INVISIBLE: [&str; 5] = [
    "\u{200B}\u{200C}\u{200D}",
    "\u{2800}",
    " \u{FEFF} \u{2060} ",
    "\u{3164}",
    "\u{00AD}\u{180E}",
];

#[tokio::test]
async fn display_names_of_only_invisible_characters_are_refused() {
    let app = spawn_app().await;
    for name in INVISIBLE {
        let reply = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": unique_email("ghost"), "password": PASSWORD,
                       "display_name": name, "role": "investor"}),
            )
            .await;
        reply.assert_problem(422, "invalid_field");
        assert_eq!(reply.body["field"], "display_name", "{}", reply.body);
    }
    // Nor may a name hide one inside, to pass for another.
    let lookalike = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": unique_email("ada"), "password": PASSWORD,
                   "display_name": "Ad\u{200B}a", "role": "investor"}),
        )
        .await;
    lookalike.assert_problem(422, "invalid_field");
    assert_eq!(app.count("users"), 0);
}

#[tokio::test]
async fn names_and_titles_are_stored_in_nfc() {
    let app = spawn_app().await;
    let email = unique_email("nfc");
    let decomposed = "\u{200B}Jose\u{0301} Nun\u{0303}ez ";
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD,
                   "display_name": decomposed, "role": "sponsor"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["display_name"], "José Nuñez");
    assert_eq!(
        app.count("users WHERE display_name = 'José Nuñez'"),
        1,
        "stored composed"
    );

    let sponsor = app.sponsor().await;
    let draft = app
        .draft(
            &sponsor,
            json!({"title": "Cafe\u{0301} Solaire", "summary": "\u{FEFF}"}),
        )
        .await;
    draft.assert_problem(422, "invalid_field");
    assert_eq!(draft.body["field"], "summary");
    let draft = app
        .draft(&sponsor, json!({"title": "Cafe\u{0301} Solaire"}))
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    assert_eq!(draft.body["title"], "Café Solaire");
    let id = draft.body["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/api/v1/offerings/{id}"),
            Some(&sponsor.token),
            json!({"title": "\u{200B}\u{200B}"}),
        )
        .await;
    patched.assert_problem(422, "invalid_field");
    assert_eq!(patched.body["field"], "title");
}

#[tokio::test]
async fn legal_names_and_reasons_need_visible_characters() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let (id, token, _) = app.signed_up(&unique_email("legal"), "investor").await;
    for name in INVISIBLE {
        let reply = app
            .put(
                "/api/v1/me/investor-profile",
                Some(&token),
                json!({"legal_name": name, "country": "US", "annual_income": 0,
                       "net_worth": 0, "accredited": true, "external_investments_12m": 0}),
            )
            .await;
        reply.assert_problem(422, "invalid_field");
        assert_eq!(reply.body["field"], "legal_name");
    }
    let disable = app
        .post(
            format!("/api/v1/operator/users/{id}/disable"),
            Some(&operator.token),
            json!({"reason": "\u{200B}"}),
        )
        .await;
    disable.assert_problem(422, "invalid_field");
    assert_eq!(disable.body["field"], "reason");
}
