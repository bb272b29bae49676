//! Contacts stored before custom field definitions existed (free-form keys) keep every value: the
//! migration turns each key in use into a text field of the account, and the start-up fill gives
//! those contacts their search keys. Run on both backends.

use inbox_store::{ContactSearch, Store, StoreOptions};
use std::borrow::Cow;

/// The last migration before custom field definitions.
const BEFORE: i64 = 10;

async fn legacy_contacts_get_definitions(url: &str, pg: bool) {
    let now = 1_700_000_000_000_i64;
    let account = uuid::Uuid::now_v7().to_string();
    let other_account = uuid::Uuid::now_v7().to_string();
    {
        let store_conn = Store::connect(&StoreOptions::new(url)).await.expect("connect");
        drop(store_conn);
    }
    let mut migrator = if pg { sqlx::migrate!("./migrations/postgres") } else { sqlx::migrate!("./migrations/sqlite") };
    migrator.migrations = Cow::Owned(migrator.migrations.iter().filter(|m| m.version <= BEFORE).cloned().collect());
    let contacts = [
        (&account, "Ángela", r#"{"rfc": "LOAM800101", "empresa": "Acme"}"#),
        (&account, "Beto", r#"{"rfc": "PERJ900202", "con espacio": "x"}"#),
        (&account, "Sin campos", "{}"),
        (&other_account, "Otra", r#"{"secreto": "1"}"#),
    ];
    let insert_account = "INSERT INTO accounts (id, name, plan, addons, created_at) VALUES ($1, 'A', 'pro', '[]', $2)";
    let insert_contact = "INSERT INTO contacts (id, account_id, first_name, custom_fields, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)";
    if pg {
        let pool = sqlx::PgPool::connect(url).await.expect("pool");
        migrator.run(&pool).await.expect("old migrations");
        for a in [&account, &other_account] {
            sqlx::query(insert_account).bind(a).bind(now).execute(&pool).await.expect("account");
        }
        for (a, name, custom) in contacts {
            sqlx::query(insert_contact)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(a)
                .bind(name)
                .bind(custom)
                .bind(now)
                .execute(&pool)
                .await
                .expect("contact");
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
        migrator.run(&pool).await.expect("old migrations");
        for a in [&account, &other_account] {
            sqlx::query(insert_account).bind(a).bind(now).execute(&pool).await.expect("account");
        }
        for (a, name, custom) in contacts {
            sqlx::query(insert_contact)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(a)
                .bind(name)
                .bind(custom)
                .bind(now)
                .execute(&pool)
                .await
                .expect("contact");
        }
        pool.close().await;
    }

    let store = Store::open(&StoreOptions::new(url)).await.expect("migrate to the current schema");
    let account_id = account.parse().expect("id");
    let defs = store.list_field_definitions(account_id).await.expect("definitions");
    let keys: Vec<(&str, &str, &str)> =
        defs.iter().map(|d| (d.key.as_str(), d.label.as_str(), d.field_type.as_str())).collect();
    assert_eq!(
        keys,
        vec![("con espacio", "con espacio", "text"), ("empresa", "empresa", "text"), ("rfc", "rfc", "text")],
        "each key in use once, as a text field labelled with its key, in key order; other accounts' keys not"
    );
    let other = store.list_field_definitions(other_account.parse().expect("id")).await.expect("definitions");
    assert_eq!(other.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), vec!["secreto"]);
    // The start-up fill made them searchable and ordered by folded name.
    let scope = domain::permissions::ConversationScope::All;
    let search = ContactSearch { terms: vec!["angela".into()], limit: 10, ..Default::default() };
    let found = store.list_contacts(account_id, &scope, &search).await.expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].fields.custom_fields.get("rfc").map(String::as_str), Some("LOAM800101"), "values kept");
    let all = store.all_contacts(account_id, &scope).await.expect("all");
    let names: Vec<_> = all.iter().filter_map(|c| c.fields.first_name.as_deref()).collect();
    assert_eq!(names, vec!["Ángela", "Beto", "Sin campos"]);
    store.close().await;
}

#[tokio::test]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("inbox-legacy-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("inbox.db").display());
    legacy_contacts_get_definitions(&url, false).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres() {
    use sqlx::Connection;
    let admin =
        std::env::var("INBOX_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let prefix = std::env::var("INBOX_TEST_DB_PREFIX").unwrap_or_else(|_| "inbox_test".into());
    let name = format!("{prefix}_legacy_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL is required for the test-suite");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("INBOX_TEST_PG_URL must end with a database name"),
    };
    legacy_contacts_get_definitions(&url, true).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.expect("drop");
}
