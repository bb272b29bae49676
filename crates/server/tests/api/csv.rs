//! Contacts as CSV: the export, and imports (dry run with per-row problems, then an all-or-nothing
//! commit) that match existing contacts by id, phone (any format) or e-mail.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use simulator::payloads::{self, WaUser};

on_both_stores!(
    an_export_imports_back_unchanged,
    new_rows_are_created_known_ones_updated_and_exported,
    a_file_with_problems_is_reported_by_row_and_never_half_imported,
    imports_are_limited_by_size_rows_type_and_role,
);

const HEADER: &str = "id,first_name,last_name,email,phone_1,phone_2,phone_3,whatsapp_user_id,whatsapp_username";

async fn export(app: &TestApp, token: &str) -> String {
    let res = app.get(token, "/api/v1/contacts/export.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let bytes = res.bytes().await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    text.strip_prefix('\u{feff}').expect("a byte order mark for spreadsheets").to_string()
}

/// Posts `csv` to the contact import as a `text/csv` body; its status and JSON answer.
pub(crate) async fn import(app: &TestApp, token: &str, dry_run: bool, csv: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(&format!("/api/v1/contacts/import?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn contacts(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json(token, "/api/v1/contacts?limit=100").await["items"].as_array().unwrap().clone()
}

async fn define_fields(app: &TestApp, token: &str) {
    for body in [
        json!({"key": "rfc", "label": "RFC", "type": "text"}),
        json!({"key": "nivel", "label": "Nivel", "type": "choice", "choices": ["Oro", "Plata"]}),
        json!({"key": "alta", "label": "Alta", "type": "date"}),
    ] {
        let res = app.post(token, "/api/v1/contact-fields", body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn an_export_imports_back_unchanged(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    define_fields(&app, t).await;
    // A WhatsApp customer with Mexico's `1` in the number WhatsApp uses, linked to a contact.
    let biz = payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    };
    app.post_webhook(&payloads::whatsapp_text(&biz, &WaUser::phone("5215512345678"), "wamid.C1", now_s(), "hola"))
        .await;
    app.settle().await;
    let conv = app.only_conversation(t).await;
    for body in [
        json!({"first_name": "Ana", "last_name": "Pérez, \"la jefa\"", "conversation_id": conv["id"],
               "custom_fields": {"rfc": "LOAM800101", "nivel": "Oro", "alta": "2024-01-31"}}),
        json!({"first_name": "Ñandú", "email": "nandu@example.com", "phone_primary": "+54 9 11 5555 6666",
               "custom_fields": {"rfc": "línea 1\nlínea 2"}}),
        json!({"email": "solo@example.com"}),
    ] {
        let res = app.post(t, "/api/v1/contacts", body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let before = contacts(&app, t).await;
    let csv = export(&app, t).await;
    assert!(csv.starts_with(&format!("{HEADER},rfc,nivel,alta\r\n")), "{csv}");
    assert!(csv.contains("\"Pérez, \"\"la jefa\"\"\""), "RFC 4180 quoting: {csv}");
    assert!(csv.contains("\"línea 1\nlínea 2\""), "{csv}");
    assert!(csv.contains(",+5215512345678,"), "the number WhatsApp uses, as kept: {csv}");
    assert_eq!(csv.matches("\r\n").count(), 4, "a header and three contacts: {csv}");

    let (status, report) = import(&app, t, true, &csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!((report["rows"].as_u64(), report["unchanged"].as_u64()), (Some(3), Some(3)), "{report}");
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(0), Some(0)));
    let (status, report) = import(&app, t, false, &csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], true);
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(0), Some(0)), "{report}");
    assert_eq!(contacts(&app, t).await, before, "the commit changed nothing, not even updated_at");
    assert_eq!(export(&app, t).await, csv);
}

async fn new_rows_are_created_known_ones_updated_and_exported(app: TestApp) {
    let acct = app.full_account().await;
    let t = &acct.admin_token;
    define_fields(&app, t).await;
    let ana = app
        .post(
            t,
            "/api/v1/contacts",
            json!({"first_name": "Ana", "phone_primary": "+52 55 1234 5678", "custom_fields": {"rfc": "A1"}}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let beto = app
        .post(t, "/api/v1/contacts", json!({"first_name": "Beto", "email": "beto@example.com"}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    // Columns in any order, a subset of them; Ana by her number in another format, Beto by e-mail.
    let file = "whatsapp_username,phone_1,first_name,email,nivel\r\n\
                ,+52 1 55 1234 5678,,,Plata\r\n\
                ,,,BETO@example.com,Oro\r\n\
                @carla.compras,+54 9 11 5555 6666,Carla,carla@example.com,\r\n\
                ,,Diego,,\r\n";
    let (status, report) = import(&app, t, true, file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(2), Some(2)), "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(contacts(&app, t).await.len(), 2, "a dry run writes nothing");

    let (status, report) = import(&app, t, false, file).await;
    assert_eq!((status, report["committed"].clone()), (StatusCode::OK, json!(true)), "{report}");
    let all = contacts(&app, t).await;
    let names: Vec<&str> = all.iter().map(|c| c["first_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Ana", "Beto", "Carla", "Diego"]);
    assert_eq!(all[0]["id"], ana["id"]);
    assert_eq!(
        all[0]["custom_fields"],
        json!({"rfc": "A1", "nivel": "Plata"}),
        "an empty cell leaves a value as it is"
    );
    assert_eq!(all[0]["phone_primary"], "+525512345678", "an equivalent number is the same number");
    assert_eq!(all[1]["id"], beto["id"]);
    assert_eq!(all[1]["custom_fields"], json!({"nivel": "Oro"}));
    assert_eq!(all[2]["whatsapp_username"], "carla.compras");
    assert_eq!(all[2]["phone_primary"], "+5491155556666");
    let csv = export(&app, t).await;
    let carla_row = csv.lines().find(|l| l.contains("Carla")).unwrap();
    assert!(
        carla_row.ends_with(",Carla,,carla@example.com,+5491155556666,,,,carla.compras,,,\r")
            || carla_row.ends_with(",Carla,,carla@example.com,+5491155556666,,,,carla.compras,,,"),
        "{carla_row}"
    );
    // The new contacts are found like any other.
    let found = app.get_json(t, "/api/v1/contacts?q=1155556666").await;
    assert_eq!(found["items"][0]["first_name"], "Carla");
}

async fn a_file_with_problems_is_reported_by_row_and_never_half_imported(app: TestApp) {
    let acct = app.full_account().await;
    let t = &acct.admin_token;
    define_fields(&app, t).await;
    for body in [
        json!({"first_name": "Uno", "phone_primary": "+52 55 0000 0001"}),
        json!({"first_name": "Dos", "email": "dos@example.com"}),
        json!({"first_name": "Tres", "phone_alternate": "+52 1 55 0000 0001"}),
    ] {
        app.post(t, "/api/v1/contacts", body).await;
    }
    let (status, report) = import(&app, t, true, "first_name,color\r\nAna,rojo\r\n").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        report["errors"],
        json!([{"row": 1, "column": "color", "code": "unknown_column",
        "message": report["errors"][0]["message"]}])
    );

    let file = format!(
        "id,first_name,email,phone_1,nivel,alta\r\n\
         ,Bueno,bueno@example.com,,Oro,2024-01-31\r\n\
         ,Malo,no-es-correo,12,Bronce,31/01/2024\r\n\
         {},Fantasma,,,,\r\n\
         ,Ambos,dos@example.com,+52 55 0000 0001,,\r\n\
         ,Repetido,bueno@example.com,,,\r\n\
         ,Corto\r\n\
         ,,,,,\r\n",
        uuid::Uuid::now_v7()
    );
    let (status, report) = import(&app, t, true, &file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let problems: Vec<(u64, Option<&str>, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (3, Some("email"), "invalid_email"),
            (3, Some("phone_1"), "invalid_phone"),
            (3, Some("nivel"), "invalid_choice"),
            (3, Some("alta"), "invalid_date"),
            (4, Some("id"), "unknown_contact"),
            (5, Some("phone_1"), "ambiguous_match"),
            (6, None, "duplicate_row"),
            (7, None, "wrong_column_count"),
        ],
        "{report}"
    );
    assert_eq!(report["rows"], 6, "the empty line is not a row: {report}");
    assert_eq!(report["error_count"], 8);
    assert!(report["errors"].as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty()));

    let (status, body) = import(&app, t, false, &file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "import_invalid");
    assert_eq!(body["error"]["rows"], report["errors"]);
    let names: Vec<Value> = contacts(&app, t).await.iter().map(|c| c["first_name"].clone()).collect();
    assert_eq!(names, vec![json!("Dos"), json!("Tres"), json!("Uno")], "the good row was not imported either");
}

async fn imports_are_limited_by_size_rows_type_and_role(app: TestApp) {
    let acct = app.full_account().await;
    let t = &acct.admin_token;
    // A multipart form with the file in `file`.
    let form = reqwest::multipart::Form::new()
        .text("note", "ignored")
        .part("file", reqwest::multipart::Part::bytes(b"first_name\r\nAna\r\n".to_vec()).file_name("c.csv"));
    let res = app
        .http
        .post(app.url("/api/v1/contacts/import?dry_run=false"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["created"], 1);

    let mut rows = String::from("first_name\r\n");
    for i in 0..10_001 {
        rows.push_str(&format!("N{i}\r\n"));
    }
    let (status, body) = import(&app, t, true, &rows).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("import_too_large")));
    let big = format!("first_name\r\n{}\r\n", "x".repeat(5 * 1024 * 1024 + 1));
    let (status, body) = import(&app, t, true, &big).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("import_too_large")));
    let res = app.post(t, "/api/v1/contacts/import", json!({"first_name": "Ana"})).await;
    assert_error(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;

    // Who may import and what they see: a role without `manage_contacts` may not; a seller matches
    // only contacts of their conversations, and exports only those.
    let res = app
        .post(
            t,
            "/api/v1/roles",
            json!({"name": "Lectura", "permissions": {"visibility": "all", "actions": ["send_messages"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, reader) = app.create_user(t, role["id"].as_str().unwrap()).await;
    let (status, body) = import(&app, &reader, true, "first_name\r\nAna\r\n").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (_, seller) = app.create_user(t, "seller").await;
    assert_eq!(export(&app, &seller).await, format!("{HEADER}\r\n"));
    let (status, report) = import(&app, &seller, true, "first_name\r\nAna\r\n").await;
    assert_eq!((status, report["created"].as_u64()), (StatusCode::OK, Some(1)), "{report}");
    let admin_csv = export(&app, t).await;
    let ana_id = admin_csv.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let (_, report) = import(&app, &seller, true, &format!("id,first_name\r\n{ana_id},Otra\r\n")).await;
    assert_eq!(
        report["errors"][0]["code"], "unknown_contact",
        "a contact the seller cannot see does not exist for them"
    );
    let res = app.http.get(app.url("/api/v1/contacts/export.csv")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
